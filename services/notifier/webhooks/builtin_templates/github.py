"""GitHub, chosen by the `X-GitHub-Event` header.

Shown: push; pull_request opened, reopened, closed/merged, ready_for_review, review_requested;
issues opened, reopened, closed, assigned; workflow_run completed; release published; any other
event as a one-line summary. `ping` and the remaining actions are ignored, to keep the chat quiet.

The identity (looked up in the source's targets) is: the requested reviewer for review_requested,
else the PR author, for pull_request; the assignee for issues assigned, else the issue author; the
run's actor for workflow_run; the sender for everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.notifier.webhooks.errors import RenderError
from services.notifier.webhooks.message_template import Ignored, MessageTemplate

PUSH = MessageTemplate(
    title="""{% set ref = payload.ref.split('/', 2)[-1] %}{% set n = payload.commits | length %}
[{{ payload.repository.full_name }}] \
{% if payload.deleted %}{{ ref }} deleted
{%- elif payload.ref.startswith('refs/tags/') %}tag {{ ref }} pushed
{%- else %}{{ n }} new commit{{ '' if n == 1 else 's' }} pushed to {{ ref }}{% endif %}""",
    body="""**{{ payload.sender.login }}** pushed to `{{ payload.ref.split('/', 2)[-1] }}` \
([compare]({{ payload.compare }}))
{% for c in payload.commits[:10] %}
- [`{{ c.id[:7] }}`]({{ c.url }}) {{ c.message | first_line }} — {{ c.author.name }}
{% endfor %}
{% if payload.commits | length > 10 %}
- … and {{ payload.commits | length - 10 }} more
{% endif %}""",
    identity="{{ payload.sender.login }}",
)

PULL_REQUEST = MessageTemplate(
    title="""{% set pr = payload.pull_request %}
[{{ payload.repository.full_name }}] PR #{{ pr.number }} \
{{ 'merged' if pr.merged else payload.action | replace('_', ' ') }}: {{ pr.title }}""",
    body="""{% set pr = payload.pull_request %}
**{{ payload.sender.login }}** {{ 'merged' if pr.merged else {'review_requested': 'requested a review on',
    'ready_for_review': 'marked ready for review'}.get(payload.action, payload.action) }} \
[#{{ pr.number }} {{ pr.title }}]({{ pr.html_url }}) (`{{ pr.head.ref }}` → `{{ pr.base.ref }}`)
{% if payload.action == 'review_requested' and payload.requested_reviewer is defined %}

Review requested from **{{ payload.requested_reviewer.login }}**.
{% endif %}""",
    severity="{{ 'success' if payload.pull_request.merged else 'info' }}",
    identity="""{{ payload.requested_reviewer.login if payload.action == 'review_requested'
    else payload.pull_request.user.login }}""",
)

ISSUES = MessageTemplate(
    title="""[{{ payload.repository.full_name }}] \
Issue #{{ payload.issue.number }} {{ payload.action }}: {{ payload.issue.title }}""",
    body="""**{{ payload.sender.login }}** {{ payload.action }} \
[#{{ payload.issue.number }} {{ payload.issue.title }}]({{ payload.issue.html_url }})
{% if payload.action == 'assigned' %}

Assigned to **{{ payload.assignee.login }}**.
{% endif %}""",
    identity="{{ payload.assignee.login if payload.action == 'assigned' else payload.issue.user.login }}",
)

# `outcome` is set the same way in title and body.
_OUTCOME = """{% set run = payload.workflow_run %}
{% set outcome = {'success': 'succeeded', 'failure': 'failed', 'cancelled': 'was cancelled',
    'timed_out': 'timed out', 'startup_failure': 'failed to start'}
    .get(run.conclusion, 'finished: ' ~ run.conclusion) %}
"""
WORKFLOW_RUN = MessageTemplate(
    title=_OUTCOME + "[{{ payload.repository.full_name }}] {{ run.name }} {{ outcome }} "
    "on {{ run.head_branch }}",
    body=_OUTCOME + """[{{ run.name }} #{{ run.run_number }}]({{ run.html_url }}) {{ outcome }} \
on `{{ run.head_branch }}` for {{ run.display_title }} \
(triggered by {{ run.event }} from **{{ run.actor.login }}**)""",
    severity="""{{ {'success': 'success', 'failure': 'error', 'timed_out': 'error',
    'startup_failure': 'error', 'cancelled': 'warning', 'action_required': 'warning'}
    .get(payload.workflow_run.conclusion, 'info') }}""",
    identity="{{ payload.workflow_run.actor.login }}",
)

RELEASE = MessageTemplate(
    title="""[{{ payload.repository.full_name }}] \
Release {{ payload.release.name or payload.release.tag_name }} published""",
    body="""{% set r = payload.release %}
**{{ r.author.login }}** published [{{ r.name or r.tag_name }}]({{ r.html_url }})\
{{ ' (pre-release)' if r.prerelease else '' }}
{% if r.body %}

{{ r.body | truncate(500) }}
{% endif %}""",
    severity="success",
    identity="{{ payload.sender.login }}",
)

OTHER = MessageTemplate(
    title="""{% if payload.repository is defined %}[{{ payload.repository.full_name }}] {% endif %}\
{{ headers['x-github-event'] }}{% if payload.action is defined %} {{ payload.action }}{% endif %}""",
    body="""**{{ (payload.sender | default({})).login | default('GitHub') }}** triggered \
`{{ headers['x-github-event'] }}`{% if payload.repository is defined %} on \
[{{ payload.repository.full_name }}]({{ payload.repository.html_url }}){% endif %}""",
    identity="{{ payload.sender.login }}",
)

# Per event: its template, and the actions shown (None: every delivery).
_SHOWN: dict[str, tuple[MessageTemplate, frozenset[str] | None]] = {
    "push": (PUSH, None),
    "pull_request": (
        PULL_REQUEST,
        frozenset({"opened", "reopened", "closed", "ready_for_review", "review_requested"}),
    ),
    "issues": (ISSUES, frozenset({"opened", "reopened", "closed", "assigned"})),
    "workflow_run": (WORKFLOW_RUN, frozenset({"completed"})),
    "release": (RELEASE, frozenset({"published"})),
}


def select(payload: Any, headers: Mapping[str, str]) -> MessageTemplate | Ignored:
    event = headers.get("x-github-event", "")
    if event == "ping":
        return Ignored("GitHub ping")
    if not event:
        raise RenderError("missing X-GitHub-Event header, needed to choose the GitHub template")
    template, actions = _SHOWN.get(event, (OTHER, None))
    action = payload.get("action") if isinstance(payload, dict) else None
    if actions is not None and action not in actions:
        return Ignored(f"GitHub {event} action '{action}' is not shown")
    return template
