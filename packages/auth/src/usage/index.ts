// Plans and usage.
export { DEFAULT_PLANS, setUserPlan } from './plans.ts';
export {
  type DayUsage,
  MAX_USAGE_RANGE_DAYS,
  type PrincipalUsage,
  type UsageRange,
  type UsageReport,
  type UsageSubject,
  usageReport,
} from './report.ts';
