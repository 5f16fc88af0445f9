#include "store/config.h"

#include "store/schema.h"

namespace voxcache::store {

Result<std::vector<std::pair<std::string, std::string>>> read_config(Database* db) {
  std::vector<std::pair<std::string, std::string>> out;
  Result<int64_t> version = schema_version(db);
  if (!version.ok()) return version.status();
  if (*version < 5) return out;  // a read-only open of an older file: nothing configured
  Result<Statement*> st = db->statement("SELECT name, value FROM config ORDER BY name");
  if (!st.ok()) return st.status();
  for (;;) {
    Result<bool> row = (*st)->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.emplace_back(std::string((*st)->column_text(0)), std::string((*st)->column_text(1)));
  }
  (*st)->reset();
  return out;
}

Status write_config(Database* db, std::string_view name, const std::optional<std::string>& value) {
  Result<Statement*> st =
      db->statement(value ? "INSERT INTO config (name, value) VALUES (?1, ?2) "
                            "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
                          : "DELETE FROM config WHERE name = ?1");
  if (!st.ok()) return st.status();
  Status s = (*st)->bind_text(1, name);
  if (s.ok() && value) s = (*st)->bind_text(2, *value);
  if (s.ok()) s = (*st)->run();
  return s;
}

}  // namespace voxcache::store
