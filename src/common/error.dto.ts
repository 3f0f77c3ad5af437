import { ApiProperty } from '@nestjs/swagger';

/** Every HTTP error (docs/protocol.md), as HttpErrorFilter writes it: for OpenAPI. */
export class ErrorDto {
  @ApiProperty({ example: 400 }) statusCode: number;
  @ApiProperty({ example: 'Bad Request' }) error: string;
  @ApiProperty({ example: 'limit must be a whole number from 1 to 10000' }) message: string;
}

/** An error body as HttpErrorFilter writes it, for the example of one documented status (each its own, not ErrorDto's 400). */
export const errorExample = (statusCode: number, error: string, message: string): ErrorDto => ({ statusCode, error, message });
