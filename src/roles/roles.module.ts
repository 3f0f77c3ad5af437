import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { BootstrapAnalysts } from './bootstrap-analysts';
import { ChangeRoleHandler } from './change-role/change-role.handler';

/** Roles: grant/revoke analyst (CLI and BOOTSTRAP_ANALYSTS), recorded as lifecycle events. */
@Module({
  imports: [CqrsModule],
  providers: [ChangeRoleHandler, BootstrapAnalysts],
})
export class RolesModule {}
