// The alerts `buildlens alerts init` writes: the four that teams ask for first (docs/alerts.md). The
// Prometheus rules shipped beside the Grafana dashboard mirror these, so a change here is a change there.
export const DEFAULT_ALERTS_YAML = `# buildlens alerts (docs/alerts.md): judged after every sync and webhook batch, and by
# "buildlens alerts check". Each alert is judged per project on its default branch unless it says otherwise.

# Where the links in messages point: the dashboard's address as your team reaches it.
dashboard_url: http://127.0.0.1:8080

# Where messages go; every alert notifies every destination unless it names some in "notify".
# An incoming-webhook address is a credential (whoever has it can post): keep it in an environment variable.
destinations: {}
#  team-slack:
#    type: slack
#    url_env: BUILDLENS_SLACK_WEBHOOK_URL
#  team-teams:
#    type: teams            # a Teams Workflows webhook ("Post to a channel when a webhook request is received")
#    url_env: BUILDLENS_TEAMS_WEBHOOK_URL
#  pager:
#    type: webhook          # JSON, signed with HMAC-SHA256 (X-Buildlens-Signature)
#    url_env: BUILDLENS_ALERT_WEBHOOK_URL
#    secret_env: BUILDLENS_ALERT_WEBHOOK_SECRET

alerts:
  # The default branch is failing: success rate below 90 % over the last 24 hours.
  - name: main-success-rate
    metric: success_rate
    window: 24h
    condition: { below: 90% }
    min_runs: 5

  # Builds got slower: p90 duration of successful runs up 20 % on the week before.
  - name: duration-p90-week-over-week
    metric: duration_p90
    window: 7d
    condition: { up_percent: 20 }
    min_runs: 10

  # Builds wait for machines or agents: queue time p95 over 10 minutes over the last 24 hours.
  - name: queue-p95-over-10m
    metric: queue_p95
    window: 24h
    condition: { above: 10m }
    min_runs: 5

  # Credits over budget: more than 10000 over the last 30 days, every project and branch together.
  - name: credits-over-budget
    metric: credits
    per: scope
    scope: { branch: "*" }
    window: 30d
    condition: { above: 10000 }
    min_runs: 1
`;
