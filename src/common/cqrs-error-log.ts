import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { UnhandledExceptionBus, UnhandledExceptionInfo } from '@nestjs/cqrs';
import { Subscription } from 'rxjs';

/**
 * The EventBus is in-memory and best effort: a failing handler is logged here and
 * the bus goes on delivering (upstream: github.com/nestjs/cqrs/issues/409 and
 * github.com/nestjs/cqrs/issues/1431).
 */
@Injectable()
export class CqrsErrorLog implements OnModuleDestroy {
  private readonly logger = new Logger('EventBus');
  private readonly subscription: Subscription;

  constructor(unhandled: UnhandledExceptionBus) {
    this.subscription = unhandled.subscribe(({ cause, exception }: UnhandledExceptionInfo) => {
      this.logger.error({ message: 'event handler failed', event: cause?.constructor?.name, error: String(exception) });
    });
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }
}
