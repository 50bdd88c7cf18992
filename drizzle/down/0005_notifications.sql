-- Down path for 0005_notifications: the delivery log only.
DROP TABLE `notification_deliveries`;
