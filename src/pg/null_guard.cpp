#include "null_guard.hpp"

extern "C" {
#include "catalog/dependency.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/planner.h"
#include "parser/parsetree.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/syscache.h"
}

namespace credit_ledger::pg {
namespace {

planner_hook_type previous_planner = nullptr;

// The argument a call passes in position 0, written positionally or by name.
Node* FirstArgument(List* args) {
  ListCell* cell = nullptr;
  int position = 0;
  foreach (cell, args) {
    Node* arg = static_cast<Node*>(lfirst(cell));
    if (IsA(arg, NamedArgExpr)) {
      const auto* named = reinterpret_cast<NamedArgExpr*>(arg);
      if (named->argnumber == 0) return reinterpret_cast<Node*>(named->arg);
    } else if (position == 0) {
      return arg;
    }
    ++position;
  }
  return nullptr;
}

// Whether `arg` is NULL once folded as the planner folds it (a NULL
// literal, a bound parameter that is NULL, a strict function of either).
bool FoldsToNull(Node* arg, ParamListInfo params) {
  if (arg == nullptr) return false;
  if (IsA(arg, Const)) return reinterpret_cast<Const*>(arg)->constisnull;
  PlannerGlobal* glob = makeNode(PlannerGlobal);
  glob->boundParams = params;
  PlannerInfo* root = makeNode(PlannerInfo);
  root->glob = glob;
  Node* folded = strip_implicit_coercions(
      eval_const_expressions(root, static_cast<Node*>(copyObjectImpl(arg))));
  return IsA(folded, Const) && reinterpret_cast<Const*>(folded)->constisnull;
}

// Whether the function is one of the ledger's customer-scoped ones, those
// citus_distribute() delegates: a member of the extension whose first
// argument is customer_id text without a default (credit_verify's defaults
// to NULL, meaning every customer: it is not delegated, and NULL is valid).
bool IsCustomerScoped(Oid funcid) {
  HeapTuple tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
  if (!HeapTupleIsValid(tuple)) return false;
  const auto* proc = reinterpret_cast<Form_pg_proc>(GETSTRUCT(tuple));
  bool scoped = proc->pronargs - proc->pronargdefaults >= 1 &&
                proc->proargtypes.values[0] == TEXTOID;
  bool null = true;
  const Datum names =
      SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_proargnames, &null);
  if (scoped && !null) {
    Datum* elems = nullptr;
    int count = 0;
    deconstruct_array(DatumGetArrayTypeP(names), TEXTOID, -1, false,
                      TYPALIGN_INT, &elems, nullptr, &count);
    scoped =
        count >= 1 && strcmp(TextDatumGetCString(elems[0]), "customer_id") == 0;
  } else {
    scoped = false;
  }
  ReleaseSysCache(tuple);
  if (!scoped) return false;
  const Oid extension = get_extension_oid("credit_ledger", true);
  return OidIsValid(extension) &&
         getExtensionOfObject(ProcedureRelationId, funcid) == extension;
}

// Refuses a call, as the function would, before Citus plans it.
void CheckCall(Node* expr, ParamListInfo params) {
  if (expr == nullptr || !IsA(expr, FuncExpr)) return;
  const auto* call = reinterpret_cast<FuncExpr*>(expr);
  if (!FoldsToNull(FirstArgument(call->args), params)) return;
  if (!IsCustomerScoped(call->funcid)) return;
  ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                  errmsg("customer_id must not be NULL")));
}

// The calls Citus would delegate: SELECT f(...) and SELECT ... FROM f(...).
void CheckQuery(Query* query, ParamListInfo params) {
  if (query->commandType != CMD_SELECT || query->jointree == nullptr) return;
  ListCell* cell = nullptr;
  foreach (cell, query->targetList) {
    CheckCall(
        reinterpret_cast<Node*>(static_cast<TargetEntry*>(lfirst(cell))->expr),
        params);
  }
  foreach (cell, query->rtable) {
    const auto* rte = static_cast<RangeTblEntry*>(lfirst(cell));
    if (rte->rtekind != RTE_FUNCTION) continue;
    ListCell* fn = nullptr;
    foreach (fn, rte->functions) {
      CheckCall(static_cast<RangeTblFunction*>(lfirst(fn))->funcexpr, params);
    }
  }
}

PlannedStmt* GuardedPlanner(Query* query, const char* text, int options,
                            ParamListInfo params) {
  CheckQuery(query, params);
  if (previous_planner != nullptr) {
    return previous_planner(query, text, options, params);
  }
  return standard_planner(query, text, options, params);
}

}  // namespace

void InstallNullCustomerGuard() {
  if (!process_shared_preload_libraries_in_progress) return;
  previous_planner = planner_hook;
  planner_hook = GuardedPlanner;
}

}  // namespace credit_ledger::pg
