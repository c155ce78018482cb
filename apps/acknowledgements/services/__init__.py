"""The inbox workflow's writes, one module per concern; every public name is importable from
here as well (``from apps.acknowledgements.services import mention_acknowledge``).

- ``actions``: assign, acknowledge, dismiss, escalate — one at a time or in bulk — and label
  corrections. Each runs in one transaction and writes the audit log (who, what, when,
  before → after).
- ``replies``: wording keys (canned or personal), placeholders, collisions with a colleague.
- ``delivery``: replies posted through the channel's connector by a Celery task queued through
  the outbox after the commit, with their delivery status, error and retries recorded.
- ``sla``: due dates, breaches and their e-mails, SLA policies.
- ``saved_replies``, ``routing_rules``, ``advocates``, ``notes`` (and notifications).
"""

from .actions import (
    ACTIONS,
    CORRECTED_SCORES,
    mention_acknowledge,
    mention_escalate,
    mention_labels_correct,
    mentions_acknowledge,
    mentions_act,
    mentions_assign,
    mentions_dismiss,
    mentions_escalate,
)
from .advocates import (
    advocates_refresh,
)
from .delivery import (
    DELIVER_TASK,
    acknowledgement_deliver,
    acknowledgement_retry,
)
from .notes import (
    MAX_NOTE_LENGTH,
    mention_note_add,
    note_mentioned_users,
    notifications_mark_read,
)
from .replies import (
    ANSWERING_KINDS,
    CANNED_AFTER,
    CANNED_WINDOW,
    COLLISION_WINDOW,
    ReplyCollision,
    recent_replies,
    reply_render,
    reply_warning,
    wording_key,
)
from .routing_rules import (
    MAX_KEYWORDS,
    ROUTING_FIELDS,
    routing_rule_create,
    routing_rule_delete,
    routing_rule_move,
    routing_rule_update,
)
from .saved_replies import (
    SAMPLE_AUTHOR,
    saved_reply_create,
    saved_reply_preview,
    saved_reply_update,
)
from .sla import (
    DUE_BATCH,
    MAX_LISTED,
    MAX_TARGET_MINUTES,
    MIDNIGHT,
    sla_breaches_detect,
    sla_breaches_notify,
    sla_due_dates_assign,
    sla_policy_update,
)

__all__ = [
    "ACTIONS",
    "ANSWERING_KINDS",
    "CANNED_AFTER",
    "CANNED_WINDOW",
    "COLLISION_WINDOW",
    "CORRECTED_SCORES",
    "DELIVER_TASK",
    "DUE_BATCH",
    "MAX_KEYWORDS",
    "MAX_LISTED",
    "MAX_NOTE_LENGTH",
    "MAX_TARGET_MINUTES",
    "MIDNIGHT",
    "ROUTING_FIELDS",
    "SAMPLE_AUTHOR",
    "ReplyCollision",
    "acknowledgement_deliver",
    "acknowledgement_retry",
    "advocates_refresh",
    "mention_acknowledge",
    "mention_escalate",
    "mention_labels_correct",
    "mention_note_add",
    "mentions_acknowledge",
    "mentions_act",
    "mentions_assign",
    "mentions_dismiss",
    "mentions_escalate",
    "note_mentioned_users",
    "notifications_mark_read",
    "recent_replies",
    "reply_render",
    "reply_warning",
    "routing_rule_create",
    "routing_rule_delete",
    "routing_rule_move",
    "routing_rule_update",
    "saved_reply_create",
    "saved_reply_preview",
    "saved_reply_update",
    "sla_breaches_detect",
    "sla_breaches_notify",
    "sla_due_dates_assign",
    "sla_policy_update",
    "wording_key",
]
