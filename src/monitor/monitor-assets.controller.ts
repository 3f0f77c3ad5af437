import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';

/** The page's chart library, served from the installed package (never a CDN). */
const UPLOT = {
  script: require.resolve('uplot/dist/uPlot.iife.min.js'),
  style: require.resolve('uplot/dist/uPlot.min.css'),
};

@ApiExcludeController()
@Controller('monitor/vendor')
export class MonitorAssetsController {
  @Get('uplot.js')
  script(@Res() res: Response): void {
    res.type('text/javascript').set('Cache-Control', 'public, max-age=3600').sendFile(UPLOT.script);
  }

  @Get('uplot.css')
  style(@Res() res: Response): void {
    res.type('text/css').set('Cache-Control', 'public, max-age=3600').sendFile(UPLOT.style);
  }
}
