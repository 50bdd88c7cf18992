-- Down path for 0006_auth: the issued credentials and the login throttle.
DROP TABLE `login_failures`;
--> statement-breakpoint
DROP TABLE `auth_tokens`;
