import { ApiProperty } from '@nestjs/swagger';

/** The protocol's `Position`. */
export class PositionDto {
  @ApiProperty({ example: 12.5 }) x: number;
  @ApiProperty({ example: -3 }) y: number;
  @ApiProperty({ example: 0 }) z: number;
  @ApiProperty({ example: 1.57, description: 'radians' }) heading: number;
  @ApiProperty({ example: '2025-11-26T10:00:00.000Z', description: 'ISO 8601 time the position was recorded' }) at: string;
}

/** The protocol's `Movement`: one PlayerMoved event. */
export class MovementDto {
  @ApiProperty({ description: 'the event id', format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) playerId: string;
  @ApiProperty() x: number;
  @ApiProperty() y: number;
  @ApiProperty() z: number;
  @ApiProperty({ description: 'radians' }) heading: number;
  @ApiProperty({ type: Number, nullable: true, description: "the client's own counter, echoed; null when it sent none" }) seq: number | null;
  @ApiProperty({ description: 'ISO 8601 time the movement was recorded' }) at: string;
  @ApiProperty({ description: "the event's global position in the event store: pass it as `after` to continue after this movement", example: 1234567 })
  position: number;
}

export class MovementPageDto {
  @ApiProperty({ type: [MovementDto], description: 'in recorded order: by `at`, then by `position`' }) items: MovementDto[];
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'pass as `after` for the next page; null when this page reached the end of the range as it stood when read',
  })
  nextCursor: number | null;
}

export class PlayerSummaryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty({ description: 'connected now, to any node (with several nodes, across all of them)' }) online: boolean;
  @ApiProperty({ type: PositionDto, nullable: true, description: 'last recorded position; null before the first move' }) position: PositionDto | null;
}

export class SnapshotPlayerDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty({ type: PositionDto }) position: PositionDto;
}

export class WorldSnapshotDto {
  @ApiProperty({ description: 'the instant of the snapshot (ISO 8601)' }) at: string;
  @ApiProperty({ type: [SnapshotPlayerDto], description: 'every player who had moved by `at`, at their latest position then, rebuilt from the events' })
  players: SnapshotPlayerDto[];
}


