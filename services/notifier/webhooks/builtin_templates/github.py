"""GitHub (github.com and Enterprise Server), chosen by the `X-GitHub-Event` header.

Shown: push; pull_request opened, reopened, closed/merged, ready_for_review, review_requested;
issues opened, reopened, closed, assigned; workflow_run completed; release published; any other
event as a one-line summary naming what it is about. `ping` and the remaining actions of those five
events are ignored, to keep the chat quiet.

What a template needs to say anything: the event name and the repository or organisation. Every
other field is optional, because versions differ (Enterprise Server 3.1-3.5 sends no `display_title`
for workflow runs, older payloads lack `merged_by` or `draft`): a missing one is left out or replaced
(the workflow's name for its display title). A delivery without those two is shown generically.

The identity (looked up in the source's targets) is: the requested reviewer for review_requested,
else the PR author, for pull_request; the assignee for issues assigned, else the issue author; the
run's actor for workflow_run; the sender for everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from herald.notifier.webhooks.errors import RenderError
from herald.notifier.webhooks.message_template import Ignored, MessageTemplate

SENDER = "{{ payload.sender.login }}"
# Every title starts with where it happened.
WHERE = "[{{ payload.repository.full_name or payload.organization.login }}] "
ACTOR = "{% if payload.sender.login %}**{{ payload.sender.login }}** {% endif %}"

PUSH = MessageTemplate(
    title=WHERE + """{% set ref = payload.ref | ref_name %}{% set n = (payload.commits or []) | length %}
{% if payload.deleted %}{{ ref }} deleted
{%- elif (payload.ref or '').startswith('refs/tags/') %}tag {{ ref }} pushed
{%- else %}{{ n }} new commit{{ '' if n == 1 else 's' }} pushed to {{ ref }}{% endif %}""",
    body=ACTOR + """pushed to {{ payload.ref | ref_name | code }}\
{% if payload.compare %} ({{ payload.compare | link('compare') }}){% endif +%}
{% for c in (payload.commits or [])[:10] %}
- {{ c.url | link((c.id or '')[:7] | code) }} {{ c.message | first_line }}\
{% if c.author.name %} — {{ c.author.name }}{% endif %}

{% endfor %}
{% if (payload.commits or []) | length > 10 %}
- … and {{ payload.commits | length - 10 }} more
{% endif %}""",
    identity=SENDER,
)

_PR = """{% set pr = payload.pull_request %}
{% set verb = 'merged' if pr.merged else (payload.action or 'updated') | replace('_', ' ') %}
"""
PULL_REQUEST = MessageTemplate(
    title=_PR + WHERE + "PR #{{ pr.number }} {{ verb }}: {{ pr.title or '(untitled)' }}",
    body=_PR + ACTOR + """{{ 'merged' if pr.merged else {'review_requested': 'requested a review on',
    'ready_for_review': 'marked ready for review'}.get(payload.action, payload.action) }} \
{{ pr.html_url | link('#' ~ pr.number ~ ' ' ~ (pr.title or '')) }}\
{% if pr.head.ref and pr.base.ref %} ({{ pr.head.ref | code }} → {{ pr.base.ref | code }}){% endif +%}
{% if payload.action == 'review_requested' %}
{% set reviewer = payload.requested_reviewer.login or payload.requested_team.name %}
{% if reviewer %}

Review requested from **{{ reviewer }}**.
{% endif %}
{% endif %}""",
    severity="{{ 'success' if payload.pull_request.merged else 'info' }}",
    identity="""{{ payload.requested_reviewer.login if payload.action == 'review_requested'
    and payload.requested_reviewer.login else payload.pull_request.user.login }}""",
)

_ISSUE = "{% set issue = payload.issue %}"
ISSUES = MessageTemplate(
    title=_ISSUE + WHERE + "Issue #{{ issue.number }} {{ payload.action }}: {{ issue.title or '(untitled)' }}",
    body=_ISSUE + ACTOR + """{{ payload.action }} {{ issue.html_url | link('#' ~ issue.number ~ ' '
    ~ (issue.title or '')) }}
{% if payload.action == 'assigned' and payload.assignee.login %}

Assigned to **{{ payload.assignee.login }}**.
{% endif %}""",
    identity="""{{ payload.assignee.login if payload.action == 'assigned' and payload.assignee.login
    else payload.issue.user.login }}""",
)

# `run`, `name` and `outcome` are set the same way in title and body.
_RUN = """{% set run = payload.workflow_run %}
{% set name = run.name or payload.workflow.name or 'Workflow' %}
{% set outcome = {'success': 'succeeded', 'failure': 'failed', 'cancelled': 'was cancelled',
    'timed_out': 'timed out', 'startup_failure': 'failed to start', 'skipped': 'was skipped',
    'neutral': 'finished', 'stale': 'went stale', 'action_required': 'needs action'}
    .get(run.conclusion, 'finished') %}
"""
WORKFLOW_RUN = MessageTemplate(
    title=_RUN + WHERE + "{{ name }} {{ outcome }}{% if run.head_branch %} on {{ run.head_branch }}{% endif %}",
    # Enterprise Server before 3.6 sends no display_title: the head commit's message, else the name.
    body=_RUN + """{{ run.html_url | link(name ~ (' #' ~ run.run_number if run.run_number else '')) }} \
{{ outcome }}{% if run.head_branch %} on {{ run.head_branch | code }}{% endif %} \
for {{ run.display_title or (run.head_commit.message | first_line) or name }}\
{% set actor = run.actor.login or payload.sender.login %}\
{% if run.event or actor %} (triggered{% if run.event %} by {{ run.event }}{% endif %}\
{% if actor %} from **{{ actor }}**{% endif %}){% endif %}""",
    severity="""{{ {'success': 'success', 'failure': 'error', 'timed_out': 'error',
    'startup_failure': 'error', 'cancelled': 'warning', 'action_required': 'warning'}
    .get(payload.workflow_run.conclusion, 'info') }}""",
    identity="{{ payload.workflow_run.actor.login or payload.sender.login }}",
)

_RELEASE = "{% set r = payload.release %}{% set name = r.name or r.tag_name or 'release' %}"
RELEASE = MessageTemplate(
    title=_RELEASE + WHERE + "Release {{ name }} published",
    body=_RELEASE + """{% set who = r.author.login or payload.sender.login %}
{% if who %}**{{ who }}** {% endif %}published {{ r.html_url | link(name) }}\
{% if r.prerelease %} (pre-release){% endif +%}
{% if r.body %}

{{ r.body | truncate(500) }}
{% endif %}""",
    severity="success",
    identity=SENDER,
)

# For the other events: the object the event is about, when its key is not the event's own name.
_SUBJECT_KEYS = {
    "issue_comment": "issue", "pull_request_review": "pull_request", "pull_request_review_comment":
    "pull_request", "pull_request_review_thread": "pull_request", "commit_comment": "comment",
    "discussion_comment": "discussion", "fork": "forkee", "watch": "repository", "star": "repository",
    "sub_issues": "sub_issue", "code_scanning_alert": "alert", "dependabot_alert": "alert",
    "secret_scanning_alert": "alert", "secret_scanning_alert_location": "alert", "team_add": "team",
    "repository_vulnerability_alert": "alert", "deployment_status": "deployment_status",
    "installation_repositories": "installation", "org_block": "blocked_user",
    "personal_access_token_request": "personal_access_token_request",
}
OTHER = MessageTemplate(
    title="""{% set kind = headers['x-github-event'] %}
{% set s = payload[""" + repr(_SUBJECT_KEYS) + """.get(kind, kind)] %}
{% set label = ('#' ~ s.number ~ ' ' if s.number is number else '')
    ~ (s.title or s.name or s.login or s.key or s.tag_name or s.summary or s.rule.description
       or s.state or '') if s is mapping else (s if s is string else '') %}
""" + WHERE + """{{ kind }}{{ ' ' ~ payload.action if payload.action }}\
{% if payload.ref and kind in ('create', 'delete') %}: {{ payload.ref_type }} {{ payload.ref }}\
{% elif kind == 'status' and payload.state %}: {{ payload.context or 'commit status' }} {{ payload.state }}\
{% elif label %}: {{ label | first_line | truncate(120) }}{% endif %}""",
    body="""{% set kind = headers['x-github-event'] %}
{% set s = payload[""" + repr(_SUBJECT_KEYS) + """.get(kind, kind)] %}
{% set where = payload.repository.full_name or payload.organization.login %}
""" + ACTOR + """{{ payload.action or 'triggered' }} {{ kind | code }} on \
{{ (payload.repository.html_url or payload.organization.html_url) | link(where) }}\
{% if s is mapping and s.html_url and s.html_url != payload.repository.html_url %} \
({{ s.html_url | link('view') }}){% endif %}""",
    identity=SENDER,
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
        raise RenderError("no X-GitHub-Event header")
    template, actions = _SHOWN.get(event, (OTHER, None))
    action = payload.get("action") if isinstance(payload, dict) else None
    if action is not None and not isinstance(action, str):
        raise RenderError(f"GitHub {event}: the action is not text")
    if actions is not None and action not in actions:
        return Ignored(f"GitHub {event} action '{action}' is not shown")
    if not (isinstance(payload, dict) and (_named(payload, "repository", "full_name")
                                           or _named(payload, "organization", "login"))):
        raise RenderError(f"GitHub {event}: neither a repository nor an organization in the payload")
    return template


def event_name(payload: Any, headers: Mapping[str, str]) -> str:
    action = payload.get("action") if isinstance(payload, dict) else None
    event = headers.get("x-github-event") or "event"
    return f"{event} {action}" if isinstance(action, str) else event


def _named(payload: dict[str, Any], key: str, name: str) -> bool:
    value = payload.get(key)
    return isinstance(value, dict) and isinstance(value.get(name), str) and bool(value[name])
