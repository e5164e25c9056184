import type Router from '@koa/router';
import { eraseMember } from '#shared/erasure/erase-member.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import type { ImageStorage } from '#shared/storage/storage.ts';
import { adminActor } from '../audit.ts';
import { validate } from '../middleware/validate.ts';
import { apiPrefix, newRouter } from '../routing.ts';
import { userIdParams } from '../schemas/user-schemas.ts';
import type { QueueDeps } from './generations.ts';

/**
 * `DELETE /api/v1/users/:userId`: erases everything of one member (their work cancelled, files in
 * storage, generation rows, limiter usage), audited with the operator as actor.
 */
export function usersRouter({ queue, storage }: { queue?: QueueDeps; storage: ImageStorage }): Router {
  const router = newRouter();
  router.delete(`${apiPrefix}/users/:userId`, validate('params', userIdParams), async (ctx) => {
    if (!queue) throw new AppError(ErrorCode.Internal, 'this admin API runs without a queue connection, so it cannot cancel work to erase', { status: 503, expose: true });
    ctx.body = await eraseMember({ pool: queue.pool, boss: queue.boss, storage }, ctx.state.params.userId, adminActor);
  });
  return router;
}
