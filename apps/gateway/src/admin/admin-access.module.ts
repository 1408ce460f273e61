import { Module } from '@nestjs/common';
import { AdminAuthGuard } from './admin-auth.guard';
import { AdminCredentials } from './admin-credentials';

/**
 * The admin credentials and their guard, one instance for the whole gateway (modules are singletons), so that
 * failed logins are counted together on every admin route and on /queues.
 */
@Module({ providers: [AdminCredentials, AdminAuthGuard], exports: [AdminCredentials, AdminAuthGuard] })
export class AdminAccessModule {}
