#include "store/replacements.h"

namespace voxcache::store {

Status note_replacement(Database* db) {
  Result<Statement*> st = db->statement("UPDATE totals SET replaced = replaced + 1");
  if (!st.ok()) return st.status();
  return (*st)->run();
}

namespace {

Result<int64_t> read_int(Database* db, const char* sql) {
  Result<Statement*> st = db->statement(sql);
  if (!st.ok()) return st.status();
  Result<bool> row = (*st)->step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Corruption(std::string("no row for ") + sql);
  const int64_t n = (*st)->column_int64(0);
  (*st)->reset();
  return n;
}

}  // namespace

Result<int64_t> read_replacements(Database* db) {
  return read_int(db, "SELECT replaced FROM totals");
}

Result<int64_t> ReplacementWatch::count() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!db_) {
    Result<std::unique_ptr<Database>> db = Database::Open(path_, options_);
    if (!db.ok()) return db.status();
    db_ = std::move(db).value();
  }
  Result<int64_t> version = read_int(db_.get(), "PRAGMA data_version");
  if (!version.ok()) return version.status();
  if (count_ && data_version_ == *version) return *count_;
  // Read before data_version is taken as seen: a commit in between makes
  // the next call read again.
  Result<int64_t> n = read_replacements(db_.get());
  if (!n.ok()) return n.status();
  data_version_ = *version;
  count_ = *n;
  return *n;
}

}  // namespace voxcache::store
