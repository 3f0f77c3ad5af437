const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a text can be a player id (a UUID): checked before it reaches a `::uuid` cast, which would fail. */
export const isUuid = (value: string): boolean => UUID.test(value);
