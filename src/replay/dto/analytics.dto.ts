import { ApiProperty } from '@nestjs/swagger';

export class HeatmapCellDto {
  @ApiProperty({ example: 100, description: "the cell's lowest x corner: floor(x / cell) × cell" }) x: number;
  @ApiProperty({ example: -200, description: "the cell's lowest y corner: floor(y / cell) × cell" }) y: number;
  @ApiProperty({ example: 42, description: 'movements recorded in the cell in the range (at least 1)' }) count: number;
}

export class HeatmapDto {
  @ApiProperty({ example: '2025-11-26T10:00:00.000Z', description: 'the range asked for, [from, to)' }) from: string;
  @ApiProperty({ example: '2025-11-26T11:00:00.000Z' }) to: string;
  @ApiProperty({ example: 100, description: 'the side of a cell, in world units' }) cell: number;
  @ApiProperty({ type: [HeatmapCellDto], description: 'every cell with at least one movement, by x then y; empty cells are left out' })
  cells: HeatmapCellDto[];
}

export class VisitDto {
  @ApiProperty({ format: 'uuid' }) playerId: string;
  @ApiProperty({ example: 'ada' }) username: string;
  @ApiProperty({ example: '2025-11-26T10:02:13.250Z', description: 'first movement within the radius in the range' }) firstAt: string;
  @ApiProperty({ example: '2025-11-26T10:09:40.020Z', description: 'last movement within the radius in the range' }) lastAt: string;
  @ApiProperty({ example: 37, description: 'movements within the radius in the range' }) movements: number;
  @ApiProperty({ example: 3.2, description: 'the smallest 2-D distance from the point among those movements' }) closest: number;
}

export class VisitsDto {
  @ApiProperty({ type: [VisitDto], description: 'every player with a movement within the radius, by firstAt (then player id)' })
  items: VisitDto[];
}

class LineStringDto {
  @ApiProperty({ enum: ['LineString'] }) type: 'LineString';
  @ApiProperty({
    type: 'array',
    items: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 },
    description: '[x, y, z] of every movement in the range, in recorded order',
    example: [[12.5, -3, 0], [13, -2.5, 0]],
  })
  coordinates: [number, number, number][];
}

class TrajectoryPropertiesDto {
  @ApiProperty({ format: 'uuid' }) playerId: string;
  @ApiProperty({ example: 'ada' }) username: string;
  @ApiProperty({ type: [String], description: 'ISO 8601 time each coordinate was recorded', example: ['2025-11-26T10:00:00.000Z', '2025-11-26T10:00:00.050Z'] })
  times: string[];
  @ApiProperty({ type: 'array', items: { type: 'integer', nullable: true }, description: "each movement's client seq (null when it sent none)", example: [1, 2] })
  seqs: (number | null)[];
}

/** A GeoJSON Feature (RFC 7946) of one player's path. */
export class TrajectoryDto {
  @ApiProperty({ enum: ['Feature'] }) type: 'Feature';
  @ApiProperty({ type: LineStringDto }) geometry: LineStringDto;
  @ApiProperty({ type: TrajectoryPropertiesDto }) properties: TrajectoryPropertiesDto;
}
