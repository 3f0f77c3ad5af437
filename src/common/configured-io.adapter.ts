import { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { ServerOptions } from 'socket.io';
import { Settings } from '../config/settings';

/** Socket.IO with the limits from the settings (the gateway decorator only takes constants). */
export class ConfiguredIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly settings: Settings,
  ) {
    super(app);
  }

  createIOServer(port: number, options?: Partial<ServerOptions>) {
    return super.createIOServer(port, {
      ...(options as ServerOptions),
      maxHttpBufferSize: this.settings.maxMessageBytes,
      // The page is served from this origin; other origins are not invited.
      serveClient: true,
    });
  }
}
