/** Tests start their own redis-server (see src/queue/redis-server.ts). */
export { redisAvailable, startRedis, type RedisProcess as TestRedis } from '../../src/queue/redis-server.ts';
