"""``{{ ack.user|shown_to:user }}``: a person as the signed-in viewer may see them (client users
never see staff e-mail addresses; see ``person_shown_to``)."""

from django import template

from apps.accounts.selectors import person_shown_to

register = template.Library()


@register.filter
def shown_to(person, viewer) -> str:
    return person_shown_to(person=person, viewer=viewer)
