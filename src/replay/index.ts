import { ExportMovementsHandler } from './export-movements/export-movements.handler';
import { GetPlayerTrajectoryHandler } from './player-trajectory/player-trajectory.handler';
import { GetWorldHeatmapHandler } from './world-heatmap/world-heatmap.handler';
import { GetWorldVisitsHandler } from './world-visits/world-visits.handler';
import { ListPlayersHandler } from './list-players/list-players.handler';
import { GetPlayerPositionHandler } from './player-position/player-position.handler';
import { ReadMovementPageHandler } from './read-movements/read-movement-page.handler';
import { GetWorldSnapshotHandler } from './world-snapshot/world-snapshot.handler';

export const ReplayQueryHandlers = [
  ReadMovementPageHandler,
  ExportMovementsHandler,
  GetWorldSnapshotHandler,
  ListPlayersHandler,
  GetPlayerPositionHandler,
  GetWorldHeatmapHandler,
  GetWorldVisitsHandler,
  GetPlayerTrajectoryHandler,
];
