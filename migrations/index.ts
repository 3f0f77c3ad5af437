import { InitialSchema1764115200000 } from './1764115200000-initial-schema';

/** Every migration, oldest first. Listed explicitly so tests and the built app load the same classes. */
export const MIGRATIONS = [InitialSchema1764115200000];
