import { RecordMovementHandler } from './record-movement/record-movement.handler';

export const MovementCommandHandlers = [RecordMovementHandler];
