import { parseCronSchedule } from '../cron.ts';

/**
 * Why CronJob.spec.schedule does not parse under robfig/cron/v3 ParseStandard (which
 * kube-apiserver uses), in the parser's own words; undefined when it parses.
 */
export function cronScheduleError(schedule: string): string | undefined {
  const parsed = parseCronSchedule(schedule);
  return parsed.ok ? undefined : parsed.error;
}
