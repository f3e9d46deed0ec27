import { compareText } from '../util/compare.js';
import type { Rule } from './rule.js';
import { rule as addColumnNotNullWithoutDefault } from './rules/add-column-not-null-without-default.js';
import { rule as addColumnRewrite } from './rules/add-column-rewrite.js';
import { rule as alterColumnType } from './rules/alter-column-type.js';
import { rule as booleanIndex } from './rules/boolean-index.js';
import { rule as charType } from './rules/char-type.js';
import { rule as concurrentlyInTransaction } from './rules/concurrently-in-transaction.js';
import { rule as constraintWithoutNotValid } from './rules/constraint-without-not-valid.js';
import { rule as createIndexNotConcurrent } from './rules/create-index-not-concurrent.js';
import { rule as detachPartitionNotConcurrent } from './rules/detach-partition-not-concurrent.js';
import { rule as dropColumn } from './rules/drop-column.js';
import { rule as dropDatabase } from './rules/drop-database.js';
import { rule as dropIndexNotConcurrent } from './rules/drop-index-not-concurrent.js';
import { rule as dropTable } from './rules/drop-table.js';
import { rule as duplicateIndex } from './rules/duplicate-index.js';
import { rule as emailWithoutCheck } from './rules/email-without-check.js';
import { rule as enumAddValue } from './rules/enum-add-value.js';
import { rule as fkWithoutIndex } from './rules/fk-without-index.js';
import { rule as identifierTooLong } from './rules/identifier-too-long.js';
import { rule as inconsistentNaming } from './rules/inconsistent-naming.js';
import { rule as int4Key } from './rules/int4-key.js';
import { rule as jsonColumn } from './rules/json-column.js';
import { rule as missingLockTimeout } from './rules/missing-lock-timeout.js';
import { rule as moneyType } from './rules/money-type.js';
import { rule as nullableForeignKey } from './rules/nullable-foreign-key.js';
import { rule as nullableUniqueColumn } from './rules/nullable-unique-column.js';
import { rule as primaryKeyWithoutIndex } from './rules/primary-key-without-index.js';
import { rule as redundantIndex } from './rules/redundant-index.js';
import { rule as reindexNotConcurrent } from './rules/reindex-not-concurrent.js';
import { rule as renameColumn } from './rules/rename-column.js';
import { rule as renameTable } from './rules/rename-table.js';
import { rule as serialColumn } from './rules/serial-column.js';
import { rule as setNotNullWithoutCheck } from './rules/set-not-null-without-check.js';
import { rule as tableWithoutPrimaryKey } from './rules/table-without-primary-key.js';
import { rule as timestampWithoutTimeZone } from './rules/timestamp-without-time-zone.js';
import { rule as truncateCascade } from './rules/truncate-cascade.js';
import { rule as unbalancedTransaction } from './rules/unbalanced-transaction.js';
import { rule as uniqueConstraintWithoutIndex } from './rules/unique-constraint-without-index.js';
import { rule as unvalidatedConstraint } from './rules/unvalidated-constraint.js';
import { rule as updatedAtWithoutTrigger } from './rules/updated-at-without-trigger.js';
import { rule as uuidAsText } from './rules/uuid-as-text.js';
import { rule as vacuumFullOrCluster } from './rules/vacuum-full-or-cluster.js';
import { rule as varcharWithLength } from './rules/varchar-with-length.js';
import { rule as writeWithoutWhere } from './rules/write-without-where.js';

/** Every lint rule, in a stable order (safety first, then design, then style). Adding a rule: one file in rules/, one line here, one doc page. */
export const ALL_RULES: readonly Rule[] = [
  addColumnNotNullWithoutDefault,
  addColumnRewrite,
  alterColumnType,
  booleanIndex,
  charType,
  concurrentlyInTransaction,
  constraintWithoutNotValid,
  createIndexNotConcurrent,
  detachPartitionNotConcurrent,
  dropColumn,
  dropDatabase,
  dropIndexNotConcurrent,
  dropTable,
  duplicateIndex,
  emailWithoutCheck,
  enumAddValue,
  fkWithoutIndex,
  identifierTooLong,
  inconsistentNaming,
  int4Key,
  jsonColumn,
  missingLockTimeout,
  moneyType,
  nullableForeignKey,
  nullableUniqueColumn,
  primaryKeyWithoutIndex,
  redundantIndex,
  reindexNotConcurrent,
  renameColumn,
  renameTable,
  serialColumn,
  setNotNullWithoutCheck,
  tableWithoutPrimaryKey,
  timestampWithoutTimeZone,
  truncateCascade,
  unbalancedTransaction,
  uniqueConstraintWithoutIndex,
  unvalidatedConstraint,
  updatedAtWithoutTrigger,
  uuidAsText,
  vacuumFullOrCluster,
  varcharWithLength,
  writeWithoutWhere,
].sort((a, b) => profileOrder(a) - profileOrder(b) || compareText(a.id, b.id));

function profileOrder(r: Rule): number {
  return r.profile === 'safety' ? 0 : r.profile === 'design' ? 1 : 2;
}

/** Looks a rule up by id. */
export function ruleById(id: string): Rule | undefined {
  return ALL_RULES.find((r) => r.id === id);
}
