#include "store/claims.h"

namespace voxcache::store {

Result<bool> try_claim(Database* db, std::string_view operation_id, std::string_view me,
                       int64_t now_ms, int64_t lease_ms, std::string* owner) {
  Result<Statement*> sel =
      db->statement("SELECT owner, expires_at FROM claims WHERE operation_id = ?1");
  if (!sel.ok()) return sel.status();
  Status s = (*sel)->bind_text(1, operation_id);
  if (!s.ok()) return s;
  Result<bool> row = (*sel)->step();
  if (!row.ok()) return row.status();
  if (*row && (*sel)->column_int64(1) >= now_ms && (*sel)->column_text(0) != me) {
    *owner = std::string((*sel)->column_text(0));
    (*sel)->reset();
    return false;  // held, and alive
  }
  (*sel)->reset();
  Result<Statement*> put = db->statement(
      "INSERT INTO claims (operation_id, owner, expires_at) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (operation_id) DO UPDATE SET owner = excluded.owner, "
      "expires_at = excluded.expires_at");
  if (!put.ok()) return put.status();
  s = (*put)->bind_text(1, operation_id);
  if (s.ok()) s = (*put)->bind_text(2, me);
  if (s.ok()) s = (*put)->bind_int64(3, now_ms + lease_ms);
  if (s.ok()) s = (*put)->run();
  if (!s.ok()) return s;
  *owner = std::string(me);
  return true;
}

Result<bool> renew_claim(Database* db, std::string_view operation_id, std::string_view me,
                         int64_t expires_at_ms) {
  Result<Statement*> st =
      db->statement("UPDATE claims SET expires_at = ?3 WHERE operation_id = ?1 AND owner = ?2");
  if (!st.ok()) return st.status();
  Status s = (*st)->bind_text(1, operation_id);
  if (s.ok()) s = (*st)->bind_text(2, me);
  if (s.ok()) s = (*st)->bind_int64(3, expires_at_ms);
  if (s.ok()) s = (*st)->run();
  if (!s.ok()) return s;
  return db->changes() > 0;
}

Status release_claim(Database* db, std::string_view operation_id, std::string_view me) {
  Result<Statement*> st =
      db->statement("DELETE FROM claims WHERE operation_id = ?1 AND owner = ?2");
  if (!st.ok()) return st.status();
  Status s = (*st)->bind_text(1, operation_id);
  if (s.ok()) s = (*st)->bind_text(2, me);
  if (s.ok()) s = (*st)->run();
  return s;
}

}  // namespace voxcache::store
