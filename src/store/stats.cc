#include "store/stats.h"

#include <algorithm>
#include <limits>

namespace voxcache::store {

namespace {
int64_t clamped(double v) {
  return v <= 0 ? 0 : v >= 9.2e18 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(v);
}
}  // namespace

Result<std::vector<TypeTotals>> totals_by_type(Database* db) {
  Result<Statement*> st = db->statement(
      // Rows are untrusted: negative sizes count as 0, and total() (a double)
      // cannot overflow where sum() of crafted sizes would fail the query.
      "SELECT data_type, count(*), total(max(size_bytes, 0)), total(max(raw_bytes, 0)) FROM "
      "results GROUP BY data_type ORDER BY data_type");
  if (!st.ok()) return st.status();
  std::vector<TypeTotals> out;
  for (;;) {
    Result<bool> row = (*st)->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back({std::string((*st)->column_text(0)), (*st)->column_int64(1),
                   clamped((*st)->column_double(2)), clamped((*st)->column_double(3))});
  }
  (*st)->reset();
  return out;
}

Result<Totals> totals(Database* db) {
  Result<Statement*> st =
      db->statement("SELECT entries, stored_bytes, raw_bytes FROM totals WHERE id = 1");
  if (!st.ok()) return st.status();
  Result<bool> row = (*st)->step();
  if (!row.ok()) return row.status();
  Totals t;
  // A damaged or crafted row reads as 0, never as a negative size; with no
  // entry left, what crafted sizes left in the running sums is nothing.
  if (*row && (*st)->column_int64(0) > 0) {
    t.entries = (*st)->column_int64(0);
    t.stored_bytes = std::max<int64_t>((*st)->column_int64(1), 0);
    t.raw_bytes = std::max<int64_t>((*st)->column_int64(2), 0);
  }
  (*st)->reset();
  return t;
}

Status add_counter(Database* db, std::string_view name, std::string_view data_type, int64_t delta) {
  Result<Statement*> st = db->statement(
      "INSERT INTO counters (name, data_type, value) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (name, data_type) DO UPDATE SET value = value + excluded.value");
  if (!st.ok()) return st.status();
  Status s = (*st)->bind_text(1, name);
  if (s.ok()) s = (*st)->bind_text(2, data_type);
  if (s.ok()) s = (*st)->bind_int64(3, delta);
  if (s.ok()) s = (*st)->run();
  return s;
}

Result<std::vector<Counter>> counters(Database* db) {
  Result<Statement*> st =
      db->statement("SELECT name, data_type, value FROM counters ORDER BY name, data_type");
  if (!st.ok()) return st.status();
  std::vector<Counter> out;
  for (;;) {
    Result<bool> row = (*st)->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back({std::string((*st)->column_text(0)), std::string((*st)->column_text(1)),
                   (*st)->column_int64(2)});
  }
  (*st)->reset();
  return out;
}

Status zero_counters(Database* db) { return db->exec("DELETE FROM counters"); }

}  // namespace voxcache::store
