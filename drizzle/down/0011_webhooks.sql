-- Down path for 0011_webhooks: webhooks, integration items, deploys, automation runs and the poller lock (issue 15).
DROP TABLE `integration_locks`;
DROP TABLE `automation_runs`;
DROP TABLE `deploys`;
DROP TABLE `integration_items`;
DROP TABLE `webhook_deliveries`;
