import { InitialSchema1764115200000 } from './1764115200000-initial-schema';
import { ReplayTimeIndex1764201600000 } from './1764201600000-replay-time-index';
import { LastPositionsRoomForHotUpdates1764806400000 } from './1764806400000-last-positions-room-for-hot-updates';
import { ClientSessions1765152000000 } from './1765152000000-client-sessions';

/** Every migration, oldest first. Listed explicitly so tests and the built app load the same classes. */
export const MIGRATIONS = [InitialSchema1764115200000, ReplayTimeIndex1764201600000, LastPositionsRoomForHotUpdates1764806400000, ClientSessions1765152000000];
