/*
 * ordermgmt.h
 *		What every layer of the extension shares: the contract's SQLSTATEs
 *		and the bounds on input.
 *
 * The C sources are layered (docs/architecture.md): src/api holds the
 * SQL-callable entry points, src/domain the rules, src/store the SPI
 * plans, caches, outbox and alert rows.  store/store.h and
 * domain/domain.h declare what each layer offers the ones above it.
 */
#ifndef ORDERMGMT_H
#define ORDERMGMT_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "storage/itemptr.h"

/* Business-rule SQLSTATEs of the public contract (class OM). */
#define ERRCODE_OM_ILLEGAL_TRANSITION	MAKE_SQLSTATE('O','M','0','0','1')
#define ERRCODE_OM_STOCK				MAKE_SQLSTATE('O','M','0','0','2')
#define ERRCODE_OM_UNBALANCED			MAKE_SQLSTATE('O','M','0','0','3')
#define ERRCODE_OM_LEDGER_IMMUTABLE		MAKE_SQLSTATE('O','M','0','0','4')
#define ERRCODE_OM_UNKNOWN				MAKE_SQLSTATE('O','M','0','0','5')
#define ERRCODE_OM_OVER_BILLING			MAKE_SQLSTATE('O','M','0','0','6')
#define ERRCODE_OM_APPROVAL_REFUSED		MAKE_SQLSTATE('O','M','0','0','7')
#define ERRCODE_OM_PERIOD_CLOSED		MAKE_SQLSTATE('O','M','0','0','8')

/* Largest magnitude a numeric(18,4) column holds, and its scale. */
#define OM_QTY_MAX_TEXT		"99999999999999.9999"
#define OM_QTY_SCALE		4

/* Longest idempotency key (external_ref, payment reference), in characters. */
#define OM_KEY_MAX			255

/* Longest free text (reasons, notes, subjects, memos) unless setting max_text_length says otherwise. */
#define OM_MAX_TEXT_LENGTH_DEFAULT	"4096"

/* Largest factor between a receipt's unit_cost and the product's cost without an admin. */
#define OM_MAX_COST_FACTOR_DEFAULT	"10"

#endif							/* ORDERMGMT_H */
