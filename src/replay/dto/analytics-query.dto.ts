import { BadRequestException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, registerDecorator } from 'class-validator';
import type { Settings } from '../../config/settings';
import { IsIsoInstant, parseIsoInstant } from './iso-instant';

/** A decimal number as a query value: `12`, `-3.5`, `.5`, `1e3`. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** class-validator check that a required query value is one decimal number; the message says what the number is. */
function IsDecimal(what: string): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isDecimal',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: ({ property, value }) =>
          value === undefined
            ? `${property} is required: ${what}`
            : `${property} must be given once, as ${what} (a decimal number such as 12.5); got ${JSON.stringify(value)}`,
      },
      validator: { validate: (value: unknown) => typeof value === 'string' && DECIMAL.test(value) },
    });
}

/** `from` and `to` of the analytics endpoints: both required, `[from, to)`. */
export class AnalyticsRangeQueryDto {
  @ApiProperty({ description: 'ISO 8601 with a zone; movements recorded at or after this instant', example: '2025-11-26T10:00:00Z' })
  @IsIsoInstant()
  from: string;

  @ApiProperty({ description: 'ISO 8601 with a zone; movements recorded before this instant (exclusive)', example: '2025-11-26T11:00:00Z' })
  @IsIsoInstant()
  to: string;
}

export class HeatmapQueryDto extends AnalyticsRangeQueryDto {
  @ApiProperty({ description: 'side of a square grid cell, in world units (> 0); cells are aligned on multiples of it', example: '100' })
  @IsDecimal('the side of a grid cell in world units, above 0')
  cell: string;

  @ApiPropertyOptional({ description: 'comma-separated player ids (at most 1000); every player when left out' })
  @IsOptional()
  @IsString({ message: 'players must be given once, as comma-separated ids' })
  players?: string;
}

export class VisitsQueryDto extends AnalyticsRangeQueryDto {
  @ApiProperty({ description: 'x of the point, in world units', example: '0' })
  @IsDecimal('the x of the point, in world units')
  x: string;

  @ApiProperty({ description: 'y of the point, in world units', example: '0' })
  @IsDecimal('the y of the point, in world units')
  y: string;

  @ApiProperty({ description: 'distance from the point (2-D, world units, > 0) a movement must be within', example: '50' })
  @IsDecimal('a distance in world units, above 0')
  radius: string;
}

/** A validated analytics range: from strictly before to, no longer than the limit. */
export interface AnalyticsRange {
  from: Date;
  to: Date;
}

/** The checks across fields the decorators leave to code: 400 on failure. */
export function toAnalyticsRange(query: AnalyticsRangeQueryDto, maxRangeHours: number): AnalyticsRange {
  const from = parseIsoInstant(query.from)!;
  const to = parseIsoInstant(query.to)!;
  if (from.getTime() >= to.getTime()) {
    throw new BadRequestException(`from (${from.toISOString()}) must be before to (${to.toISOString()}); the range is [from, to)`);
  }
  if (to.getTime() - from.getTime() > maxRangeHours * 3_600_000) {
    throw new BadRequestException(
      `the range from ${from.toISOString()} to ${to.toISOString()} is longer than ${maxRangeHours} h (ANALYTICS_MAX_RANGE_HOURS); ask for a shorter range`,
    );
  }
  return { from, to };
}

/** A finite number from a value the decorators checked is decimal; `positive`: above 0. 400 otherwise. */
export function toFiniteNumber(name: string, value: string, positive = false): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new BadRequestException(`${name} must be a finite number; got ${JSON.stringify(value)}`);
  if (positive && n <= 0) throw new BadRequestException(`${name} must be above 0; got ${value}`);
  return n;
}

/** What the analytics checks need of the settings. */
export type AnalyticsLimits = Pick<Settings, 'analyticsMaxRangeHours' | 'world'>;

/**
 * The heatmap's cell, checked against the world: a cell index floor(coordinate / cell)
 * must stay a whole number a double holds exactly, or neighbouring cells would merge
 * and corners come out wrong.
 */
export function toCell(value: string, limits: AnalyticsLimits): number {
  const cell = toFiniteNumber('cell', value, true);
  const smallest = Math.max(Math.abs(limits.world.min), Math.abs(limits.world.max)) / 2 ** 52;
  if (cell < smallest) throw new BadRequestException(`cell must be at least ${smallest} world units for this world's bounds; got ${value}`);
  return cell;
}

/** The visits' point, inside the world bounds (WORLD_MIN … WORLD_MAX), where every movement is. */
export function toPointCoordinate(name: 'x' | 'y', value: string, limits: AnalyticsLimits): number {
  const n = toFiniteNumber(name, value);
  if (n < limits.world.min || n > limits.world.max) {
    throw new BadRequestException(`${name} must be within the world bounds, ${limits.world.min} to ${limits.world.max} (WORLD_MIN, WORLD_MAX); got ${value}`);
  }
  return n;
}

/**
 * The visits' radius; one wider than the world reaches every movement inside it, so it
 * is counted as twice the world's span (more than its diagonal), which keeps squared
 * distances far from overflowing.
 */
export function toRadius(value: string, limits: AnalyticsLimits): number {
  const radius = toFiniteNumber('radius', value, true);
  return Math.min(radius, 2 * (limits.world.max - limits.world.min));
}
