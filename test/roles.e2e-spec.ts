import { NestFactory } from '@nestjs/core';
import { AppModule } from '../src/app.module';
import { loadSettings } from '../src/config/settings';
import { grantRoleCommand, revokeRoleCommand, runRoleCommand } from '../src/roles/role.commands';
import { get } from './replay-support';
import { postJson, registerAndLogin, uniqueName } from './support/clients';
import { startTestServer, testEnv, TestServer } from './support/test-server';

async function lifecycle(server: TestServer, playerId: string): Promise<{ type: string; data: any; metadata: any }[]> {
  return server.dataSource.query(`SELECT type, data, metadata FROM events WHERE stream_id = $1 ORDER BY stream_version`, [`player-${playerId}`]);
}

async function roleOf(server: TestServer, playerId: string): Promise<string> {
  const [{ role }] = await server.dataSource.query(`SELECT role FROM players WHERE id = $1`, [playerId]);
  return role;
}

describe('roles: grant-role / revoke-role and BOOTSTRAP_ANALYSTS', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('grant-role records PlayerRoleGranted with the players.role update; a repeat changes nothing', async () => {
    const { player, token } = await registerAndLogin(server.url);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await grantRoleCommand.run(server.running.app, [player.username, 'analyst']);
      expect(JSON.parse(log.mock.calls[0][0])).toEqual({ playerId: player.id, username: player.username, role: 'analyst', changed: true });
    } finally {
      log.mockRestore();
    }
    expect(await roleOf(server, player.id)).toBe('analyst');
    const events = await lifecycle(server, player.id);
    expect(events.map((e) => e.type)).toEqual(['PlayerRegistered', 'PlayerRoleGranted']);
    expect(events[1].data).toEqual({ role: 'analyst', previousRole: 'player', newRole: 'analyst', source: 'cli' });
    expect(events[1].metadata).toEqual({ eventId: expect.any(String), correlationId: expect.any(String), causationId: expect.any(String) });

    // Usernames match case-insensitively, as at login; granting again records nothing.
    await expect(runRoleCommand(server.running.app, 'grant', [player.username.toUpperCase(), 'analyst'])).resolves.toMatchObject({ changed: false });
    expect(await lifecycle(server, player.id)).toHaveLength(2);

    // The token issued before the grant now reads as an analyst; a new login says so too.
    expect((await get(`${server.url}/players`, token)).status).toBe(200);
    const login = await postJson(`${server.url}/auth/login`, { username: player.username, password: 'password-123' });
    expect(login.body.player.role).toBe('analyst');
  });

  it('revoke-role records PlayerRoleRevoked and takes effect on the next request', async () => {
    const { player, token } = await registerAndLogin(server.url);
    await runRoleCommand(server.running.app, 'grant', [player.username, 'analyst']);
    expect((await get(`${server.url}/world/snapshot`, token)).status).toBe(200);
    await revokeRoleCommand.run(server.running.app, [player.username, 'analyst']).finally(() => undefined);
    expect(await roleOf(server, player.id)).toBe('player');
    const events = await lifecycle(server, player.id);
    expect(events.map((e) => e.type)).toEqual(['PlayerRegistered', 'PlayerRoleGranted', 'PlayerRoleRevoked']);
    expect(events[2].data).toEqual({ role: 'analyst', previousRole: 'analyst', newRole: 'player', source: 'cli' });
    expect((await get(`${server.url}/world/snapshot`, token)).status).toBe(403);
    await expect(runRoleCommand(server.running.app, 'revoke', [player.username, 'analyst'])).resolves.toMatchObject({ changed: false, role: 'player' });
    expect(await lifecycle(server, player.id)).toHaveLength(3);
  });

  it('refuses unknown usernames, other roles and bad usage, writing nothing', async () => {
    const { player } = await registerAndLogin(server.url);
    await expect(runRoleCommand(server.running.app, 'grant', ['nobody_by_this_name', 'analyst'])).rejects.toThrow(/no player named "nobody_by_this_name"/);
    await expect(runRoleCommand(server.running.app, 'grant', [player.username, 'admin'])).rejects.toThrow(/unknown role "admin"/);
    await expect(runRoleCommand(server.running.app, 'revoke', [player.username, 'player'])).rejects.toThrow(/every account is a player/);
    await expect(runRoleCommand(server.running.app, 'grant', [player.username])).rejects.toThrow(/usage: grant-role <username> analyst/);
    expect(await roleOf(server, player.id)).toBe('player');
    expect(await lifecycle(server, player.id)).toHaveLength(1);
  });

  it('keeps players.role unchanged when its event cannot be recorded (one transaction)', async () => {
    const { player } = await registerAndLogin(server.url);
    await server.dataSource.query(`
      CREATE FUNCTION refuse_role_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused for the test'; END $$`);
    await server.dataSource.query(
      `CREATE TRIGGER refuse_role_event BEFORE INSERT ON events FOR EACH ROW
       WHEN (NEW.stream_id = 'player-${player.id}' AND NEW.type = 'PlayerRoleGranted') EXECUTE FUNCTION refuse_role_event()`,
    );
    try {
      await expect(runRoleCommand(server.running.app, 'grant', [player.username, 'analyst'])).rejects.toThrow(/refused for the test/);
    } finally {
      await server.dataSource.query(`DROP TRIGGER refuse_role_event ON events`);
      await server.dataSource.query(`DROP FUNCTION refuse_role_event`);
    }
    expect(await roleOf(server, player.id)).toBe('player');
    expect((await lifecycle(server, player.id)).map((e) => e.type)).toEqual(['PlayerRegistered']);
  });

  it('applies BOOTSTRAP_ANALYSTS at server start, once, skipping unknown names', async () => {
    const own = await startTestServer();
    let current = own;
    try {
      const name = uniqueName('boot');
      const { player } = await registerAndLogin(own.url, name);
      current = await own.restart({ BOOTSTRAP_ANALYSTS: ` ${name} , no_such_player_here` });
      expect(await roleOf(current, player.id)).toBe('analyst');
      current = await current.restart({ BOOTSTRAP_ANALYSTS: name });
      const granted = (await lifecycle(current, player.id)).filter((e) => e.type === 'PlayerRoleGranted');
      expect(granted).toHaveLength(1);
      expect(granted[0].data.source).toBe('bootstrap');
    } finally {
      await current.close();
    }
  });

  it('does not apply BOOTSTRAP_ANALYSTS in the CLI, so a revoke-role is not undone by its own start', async () => {
    const { player } = await registerAndLogin(server.url);
    const settings = loadSettings({ ...(await testEnv()), DATABASE_SCHEMA: server.settings.databaseSchema, BOOTSTRAP_ANALYSTS: player.username });
    const cli = await NestFactory.createApplicationContext(AppModule.forRoot(settings, server.running.database), { logger: false });
    try {
      expect(await roleOf(server, player.id)).toBe('player');
      await runRoleCommand(cli, 'grant', [player.username, 'analyst']);
      await runRoleCommand(cli, 'revoke', [player.username, 'analyst']);
    } finally {
      await cli.close();
    }
    expect((await lifecycle(server, player.id)).map((e) => e.type)).toEqual(['PlayerRegistered', 'PlayerRoleGranted', 'PlayerRoleRevoked']);
  });
});
