"""Reports: dashboards, the agency overview and exports (``/reports/``)."""

from django.urls import path

from . import export_views, views
from .pdf_views import report_pdf_download

app_name = "reporting"

urlpatterns: list = [
    path("", views.overview, name="overview"),
    path("clients/<int:client_id>/", views.client_dashboard, name="dashboard"),
    path("clients/<int:client_id>/report.pdf", report_pdf_download, name="report-pdf"),
]

# CSV exports
urlpatterns += [
    path("clients/<int:client_id>/figures.csv", export_views.figures_csv, name="figures-csv"),
    path("clients/<int:client_id>/mentions.csv", export_views.mentions_csv, name="mentions-csv"),
    path(
        "clients/<int:client_id>/acknowledgements.csv",
        export_views.acknowledgements_csv,
        name="acknowledgements-csv",
    ),
    path(
        "clients/<int:client_id>/corrected-labels.csv",
        export_views.corrections_csv,
        name="corrections-csv",
    ),
]
