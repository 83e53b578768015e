import { sqlBackends } from './sql-backends.ts';
import { sqlSuite } from './sql-suite.ts';

for (const [name, open] of sqlBackends) sqlSuite(name, open);
