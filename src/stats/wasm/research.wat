;; The research grid's rank kernels (stats/research-fused.ts), in WebAssembly: the same operations
;; as the TypeScript loops there, in the same order (the tests compare them bit for bit). V8 runs
;; these loops over typed arrays 1.4-3.7x slower than this module (bounds checks and conversions),
;; and they are most of the grid's time.
;;
;; Every pointer is a byte address in the imported memory (stats/wasm/heap.ts allocates the arrays
;; there). Layouts as in research-fused.ts: row-major tables and ranks (row i, grouping k at
;; i * K + k); a table's entries are group + 1 (0: in no group), uint16 (the rank, sums and count
;; kernels read no other width: a set of more groups runs the TypeScript loops), ranks int32;
;; per-group arrays of float64 or int32, masks of bytes.
(module
  (import "env" "mem" (memory 1))

  ;; rankSide: doubled average ranks within every group, tie sums (t^3 - t) and counts per group.
  ;; M sorted positions; order[p] = row at position p; bs[p] = 1 where a tie block starts;
  ;; tab = the ordered table (row p) when $ordered = 1, else the set's table (row order[p]).
  ;; cnt, ties: zero on entry; t: scratch counts, zero on entry and on exit.
  (func (export "rank")
    (param $M i32) (param $K i32) (param $ordered i32) (param $order i32) (param $bs i32) (param $tab i32)
    (param $valid i32) (param $r i32) (param $cnt i32) (param $t i32) (param $ties i32)
    (local $p i32) (local $q i32) (local $j i32) (local $i i32) (local $b i32) (local $e i32)
    (local $by i32) (local $idx i32) (local $a i32) (local $c i32) (local $K4 i32) (local $KT i32) (local $tf f64)
    (local.set $K4 (i32.shl (local.get $K) (i32.const 2)))
    (local.set $KT (i32.shl (local.get $K) (i32.const 1)))
    (if (i32.eqz (local.get $K)) (then (return)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $p) (local.get $M)))
        ;; q: end of the tie block starting at p
        (local.set $q (i32.add (local.get $p) (i32.const 1)))
        (block $qe
          (loop $ql
            (br_if $qe (i32.ge_u (local.get $q) (local.get $M)))
            (br_if $qe (i32.ne (i32.load8_u (i32.add (local.get $bs) (local.get $q))) (i32.const 0)))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $ql)))
        (if (i32.eq (local.get $q) (i32.add (local.get $p) (i32.const 1)))
          (then
            ;; a single value: its rank in each group is the group's next count
            (local.set $i (i32.load (i32.add (local.get $order) (i32.shl (local.get $p) (i32.const 2)))))
            (if (i32.eq (i32.load8_u (i32.add (local.get $valid) (local.get $i))) (i32.const 1))
              (then
                (local.set $by (i32.add (local.get $r) (i32.mul (local.get $i) (local.get $K4))))
                (local.set $b (i32.add (local.get $tab) (i32.mul (select (local.get $p) (local.get $i) (local.get $ordered)) (local.get $KT))))
                (local.set $e (i32.add (local.get $b) (local.get $KT)))
                (loop $k1
                  (local.set $idx (i32.sub (i32.load16_u (local.get $b)) (i32.const 1)))
                  (if (i32.ge_s (local.get $idx) (i32.const 0))
                    (then
                      (local.set $a (i32.add (local.get $cnt) (i32.shl (local.get $idx) (i32.const 2))))
                      (local.set $c (i32.add (i32.load (local.get $a)) (i32.const 1)))
                      (i32.store (local.get $a) (local.get $c))
                      (i32.store (local.get $by) (i32.shl (local.get $c) (i32.const 1)))))
                  (local.set $b (i32.add (local.get $b) (i32.const 2)))
                  (local.set $by (i32.add (local.get $by) (i32.const 4)))
                  (br_if $k1 (i32.lt_u (local.get $b) (local.get $e)))))))
          (else
            ;; a tie block [p, q): count its valid rows per group
            (local.set $j (local.get $p))
            (loop $cb
              (local.set $i (i32.load (i32.add (local.get $order) (i32.shl (local.get $j) (i32.const 2)))))
              (if (i32.eq (i32.load8_u (i32.add (local.get $valid) (local.get $i))) (i32.const 1))
                (then
                  (local.set $b (i32.add (local.get $tab) (i32.mul (select (local.get $j) (local.get $i) (local.get $ordered)) (local.get $KT))))
                  (local.set $e (i32.add (local.get $b) (local.get $KT)))
                  (loop $k2
                    (local.set $idx (i32.sub (i32.load16_u (local.get $b)) (i32.const 1)))
                    (if (i32.ge_s (local.get $idx) (i32.const 0))
                      (then
                        (local.set $a (i32.add (local.get $t) (i32.shl (local.get $idx) (i32.const 2))))
                        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))))
                    (local.set $b (i32.add (local.get $b) (i32.const 2)))
                    (br_if $k2 (i32.lt_u (local.get $b) (local.get $e))))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $cb (i32.lt_u (local.get $j) (local.get $q))))
            ;; each valid row's rank: 2 x (rows before the block) + (tied rows) + 1
            (local.set $j (local.get $p))
            (loop $ab
              (local.set $i (i32.load (i32.add (local.get $order) (i32.shl (local.get $j) (i32.const 2)))))
              (if (i32.eq (i32.load8_u (i32.add (local.get $valid) (local.get $i))) (i32.const 1))
                (then
                  (local.set $by (i32.add (local.get $r) (i32.mul (local.get $i) (local.get $K4))))
                  (local.set $b (i32.add (local.get $tab) (i32.mul (select (local.get $j) (local.get $i) (local.get $ordered)) (local.get $KT))))
                  (local.set $e (i32.add (local.get $b) (local.get $KT)))
                  (loop $k3
                    (local.set $idx (i32.sub (i32.load16_u (local.get $b)) (i32.const 1)))
                    (if (i32.ge_s (local.get $idx) (i32.const 0))
                      (then
                        (i32.store (local.get $by)
                          (i32.add
                            (i32.add
                              (i32.shl (i32.load (i32.add (local.get $cnt) (i32.shl (local.get $idx) (i32.const 2)))) (i32.const 1))
                              (i32.load (i32.add (local.get $t) (i32.shl (local.get $idx) (i32.const 2)))))
                            (i32.const 1)))))
                    (local.set $b (i32.add (local.get $b) (i32.const 2)))
                    (local.set $by (i32.add (local.get $by) (i32.const 4)))
                    (br_if $k3 (i32.lt_u (local.get $b) (local.get $e))))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $ab (i32.lt_u (local.get $j) (local.get $q))))
            ;; close the block: tie sums and counts, scratch counts back to zero
            (local.set $j (local.get $p))
            (loop $zb
              (local.set $i (i32.load (i32.add (local.get $order) (i32.shl (local.get $j) (i32.const 2)))))
              (if (i32.eq (i32.load8_u (i32.add (local.get $valid) (local.get $i))) (i32.const 1))
                (then
                  (local.set $b (i32.add (local.get $tab) (i32.mul (select (local.get $j) (local.get $i) (local.get $ordered)) (local.get $KT))))
                  (local.set $e (i32.add (local.get $b) (local.get $KT)))
                  (loop $k4
                    (local.set $idx (i32.sub (i32.load16_u (local.get $b)) (i32.const 1)))
                    (if (i32.ge_s (local.get $idx) (i32.const 0))
                      (then
                        (local.set $a (i32.add (local.get $t) (i32.shl (local.get $idx) (i32.const 2))))
                        (local.set $c (i32.load (local.get $a)))
                        (if (i32.ne (local.get $c) (i32.const 0))
                          (then
                            (local.set $tf (f64.convert_i32_s (local.get $c)))
                            (local.set $a (i32.add (local.get $ties) (i32.shl (local.get $idx) (i32.const 3))))
                            (f64.store (local.get $a)
                              (f64.add (f64.load (local.get $a))
                                (f64.sub (f64.mul (f64.mul (local.get $tf) (local.get $tf)) (local.get $tf)) (local.get $tf))))
                            (local.set $a (i32.add (local.get $cnt) (i32.shl (local.get $idx) (i32.const 2))))
                            (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (local.get $c)))
                            (i32.store (i32.add (local.get $t) (i32.shl (local.get $idx) (i32.const 2))) (i32.const 0))))))
                    (local.set $b (i32.add (local.get $b) (i32.const 2)))
                    (br_if $k4 (i32.lt_u (local.get $b) (local.get $e))))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $zb (i32.lt_u (local.get $j) (local.get $q))))))
        (local.set $p (local.get $q))
        (br $blocks))))

  ;; groupSumsOf's pass in row order: per group sum dx dy; over the first `pooled` groupings also the
  ;; hit counters and the contributions d * inv per cell and decision time. hv: 1, hitBase or 0 by
  ;; the row's sign ($hasSign = 0: no sign array, hv = 0).
  (func (export "sums")
    (param $N i32) (param $K i32) (param $pooled i32) (param $table i32) (param $rx i32) (param $ry i32)
    (param $valid i32) (param $tIdx i32) (param $hasSign i32) (param $sign i32) (param $c1s i32) (param $inv i32) (param $series i32)
    (param $sxy i32) (param $pos i32) (param $tsum i32) (param $hitBase f64)
    (local $i i32) (local $b i32) (local $e1 i32) (local $e i32) (local $t i32) (local $sg i32)
    (local $idx i32) (local $a i32) (local $K4 i32) (local $KT i32) (local $bt i32) (local $hv f64) (local $c1 f64) (local $d f64)
    (local.set $K4 (i32.shl (local.get $K) (i32.const 2)))
    (local.set $KT (i32.shl (local.get $K) (i32.const 1)))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $N)))
        (if (i32.eq (i32.load8_u (i32.add (local.get $valid) (local.get $i))) (i32.const 1))
          (then
            (local.set $b (i32.mul (local.get $i) (local.get $K4)))
            (local.set $bt (i32.add (local.get $table) (i32.mul (local.get $i) (local.get $KT))))
            (local.set $e1 (i32.add (local.get $b) (i32.shl (local.get $pooled) (i32.const 2))))
            (local.set $e (i32.add (local.get $b) (local.get $K4)))
            (local.set $t (i32.load (i32.add (local.get $tIdx) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $hv (f64.const 0))
            (if (local.get $hasSign)
              (then
                (local.set $sg (i32.load8_s (i32.add (local.get $sign) (local.get $i))))
                (if (i32.gt_s (local.get $sg) (i32.const 0))
                  (then (local.set $hv (f64.const 1)))
                  (else (if (i32.lt_s (local.get $sg) (i32.const 0)) (then (local.set $hv (local.get $hitBase))))))))
            (block $pe
              (loop $pk
                (br_if $pe (i32.ge_u (local.get $b) (local.get $e1)))
                (local.set $idx (i32.sub (i32.load16_u (local.get $bt)) (i32.const 1)))
                (if (i32.ge_s (local.get $idx) (i32.const 0))
                  (then
                    (local.set $c1 (f64.load (i32.add (local.get $c1s) (i32.shl (local.get $idx) (i32.const 3)))))
                    (local.set $d
                      (f64.mul
                        (f64.sub (f64.convert_i32_s (i32.load (i32.add (local.get $rx) (local.get $b)))) (local.get $c1))
                        (f64.sub (f64.convert_i32_s (i32.load (i32.add (local.get $ry) (local.get $b)))) (local.get $c1))))
                    (local.set $a (i32.add (local.get $sxy) (i32.shl (local.get $idx) (i32.const 3))))
                    (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (local.get $d)))
                    (local.set $a (i32.add (local.get $pos) (i32.shl (local.get $idx) (i32.const 3))))
                    (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (local.get $hv)))
                    (local.set $a
                      (i32.add (local.get $tsum)
                        (i32.shl
                          (i32.add (i32.load (i32.add (local.get $series) (i32.shl (local.get $idx) (i32.const 2)))) (local.get $t))
                          (i32.const 3))))
                    (f64.store (local.get $a)
                      (f64.add (f64.load (local.get $a))
                        (f64.mul (local.get $d) (f64.load (i32.add (local.get $inv) (i32.shl (local.get $idx) (i32.const 3)))))))))
                (local.set $b (i32.add (local.get $b) (i32.const 4)))
                (local.set $bt (i32.add (local.get $bt) (i32.const 2)))
                (br $pk)))
            (block $oe
              (loop $ok
                (br_if $oe (i32.ge_u (local.get $b) (local.get $e)))
                (local.set $idx (i32.sub (i32.load16_u (local.get $bt)) (i32.const 1)))
                (if (i32.ge_s (local.get $idx) (i32.const 0))
                  (then
                    (local.set $c1 (f64.load (i32.add (local.get $c1s) (i32.shl (local.get $idx) (i32.const 3)))))
                    (local.set $a (i32.add (local.get $sxy) (i32.shl (local.get $idx) (i32.const 3))))
                    (f64.store (local.get $a)
                      (f64.add (f64.load (local.get $a))
                        (f64.mul
                          (f64.sub (f64.convert_i32_s (i32.load (i32.add (local.get $rx) (local.get $b)))) (local.get $c1))
                          (f64.sub (f64.convert_i32_s (i32.load (i32.add (local.get $ry) (local.get $b)))) (local.get $c1)))))))
                (local.set $b (i32.add (local.get $b) (i32.const 4)))
                (local.set $bt (i32.add (local.get $bt) (i32.const 2)))
                (br $ok)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

  ;; orderedTable: dst row p = src row order[p] (K entries of $w bytes each).
  (func (export "reorder") (param $M i32) (param $K i32) (param $order i32) (param $src i32) (param $dst i32) (param $w i32)
    (local $p i32) (local $RB i32)
    (local.set $RB (i32.mul (local.get $K) (local.get $w)))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $p) (local.get $M)))
        (memory.copy
          (i32.add (local.get $dst) (i32.mul (local.get $p) (local.get $RB)))
          (i32.add (local.get $src) (i32.mul (i32.load (i32.add (local.get $order) (i32.shl (local.get $p) (i32.const 2)))) (local.get $RB)))
          (local.get $RB))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $rows))))

  ;; sortColumn: the finite values of a column (n float64 at $values) in value order, stable by row:
  ;; keys are the values' bits made unsigned-sortable (-0 as 0; negative: every bit flipped, else the
  ;; sign bit set), sorted by an LSD radix sort of $np passes of $dig bits (a pass skipped when every
  ;; key shares its digit). $hist: $np x 2^$dig int32, zero on entry. Writes the rows to $order and
  ;; 1 where a block of equal values starts to $bs; returns the number of finite values.
  (func (export "sort")
    (param $n i32) (param $values i32) (param $keys i32) (param $keys2 i32) (param $rows i32) (param $rows2 i32)
    (param $hist i32) (param $dig i32) (param $np i32) (param $order i32) (param $bs i32) (result i32)
    (local $i i32) (local $m i32) (local $v f64) (local $key i64) (local $pass i32) (local $base i32)
    (local $nb i32) (local $mask i64) (local $d i32) (local $c i32) (local $sum i32) (local $skip i32)
    (local $a i32) (local $p i32) (local $tmp i32) (local $shift i64)
    (local.set $nb (i32.shl (i32.const 1) (local.get $dig)))
    (local.set $mask (i64.extend_i32_u (i32.sub (local.get $nb) (i32.const 1))))
    ;; the keys of the finite values and the histograms of their digits
    (block $kd
      (loop $kl
        (br_if $kd (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (f64.load (i32.add (local.get $values) (i32.shl (local.get $i) (i32.const 3)))))
        (if (f64.eq (f64.sub (local.get $v) (local.get $v)) (f64.const 0))
          (then
            (local.set $key (i64.reinterpret_f64 (select (f64.const 0) (local.get $v) (f64.eq (local.get $v) (f64.const 0)))))
            (local.set $key
              (select
                (i64.xor (local.get $key) (i64.const -1))
                (i64.or (local.get $key) (i64.const 0x8000000000000000))
                (i64.lt_s (local.get $key) (i64.const 0))))
            (i64.store (i32.add (local.get $keys) (i32.shl (local.get $m) (i32.const 3))) (local.get $key))
            (i32.store (i32.add (local.get $rows) (i32.shl (local.get $m) (i32.const 2))) (local.get $i))
            (local.set $pass (i32.const 0))
            (loop $hl
              (local.set $a
                (i32.add (local.get $hist)
                  (i32.shl
                    (i32.add (i32.mul (local.get $pass) (local.get $nb))
                      (i32.wrap_i64 (i64.and (i64.shr_u (local.get $key) (i64.extend_i32_u (i32.mul (local.get $pass) (local.get $dig)))) (local.get $mask))))
                    (i32.const 2))))
              (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
              (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
              (br_if $hl (i32.lt_u (local.get $pass) (local.get $np))))
            (local.set $m (i32.add (local.get $m) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $kl)))
    ;; the passes
    (local.set $pass (i32.const 0))
    (block $pd
      (loop $pl
        (br_if $pd (i32.ge_u (local.get $pass) (local.get $np)))
        (br_if $pd (i32.eqz (local.get $m)))
        (local.set $base (i32.add (local.get $hist) (i32.shl (i32.mul (local.get $pass) (local.get $nb)) (i32.const 2))))
        ;; skip the pass when one digit holds every key; else the counts become start positions
        (local.set $skip (i32.const 0))
        (local.set $d (i32.const 0))
        (block $fd
          (loop $fl
            (local.set $c (i32.load (i32.add (local.get $base) (i32.shl (local.get $d) (i32.const 2)))))
            (if (i32.ne (local.get $c) (i32.const 0))
              (then
                (local.set $skip (i32.eq (local.get $c) (local.get $m)))
                (br $fd)))
            (local.set $d (i32.add (local.get $d) (i32.const 1)))
            (br_if $fl (i32.lt_u (local.get $d) (local.get $nb)))))
        (if (i32.eqz (local.get $skip))
          (then
            (local.set $sum (i32.const 0))
            (local.set $d (i32.const 0))
            (loop $sl
              (local.set $a (i32.add (local.get $base) (i32.shl (local.get $d) (i32.const 2))))
              (local.set $c (i32.load (local.get $a)))
              (i32.store (local.get $a) (local.get $sum))
              (local.set $sum (i32.add (local.get $sum) (local.get $c)))
              (local.set $d (i32.add (local.get $d) (i32.const 1)))
              (br_if $sl (i32.lt_u (local.get $d) (local.get $nb))))
            (local.set $shift (i64.extend_i32_u (i32.mul (local.get $pass) (local.get $dig))))
            (local.set $i (i32.const 0))
            (loop $xl
              (local.set $key (i64.load (i32.add (local.get $keys) (i32.shl (local.get $i) (i32.const 3)))))
              (local.set $a
                (i32.add (local.get $base)
                  (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $key) (local.get $shift)) (local.get $mask))) (i32.const 2))))
              (local.set $p (i32.load (local.get $a)))
              (i32.store (local.get $a) (i32.add (local.get $p) (i32.const 1)))
              (i64.store (i32.add (local.get $keys2) (i32.shl (local.get $p) (i32.const 3))) (local.get $key))
              (i32.store (i32.add (local.get $rows2) (i32.shl (local.get $p) (i32.const 2)))
                (i32.load (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $xl (i32.lt_u (local.get $i) (local.get $m))))
            (local.set $tmp (local.get $keys)) (local.set $keys (local.get $keys2)) (local.set $keys2 (local.get $tmp))
            (local.set $tmp (local.get $rows)) (local.set $rows (local.get $rows2)) (local.set $rows2 (local.get $tmp))))
        (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
        (br $pl)))
    ;; the rows in order and the starts of the tie blocks
    (local.set $i (i32.const 0))
    (block $od
      (loop $ol
        (br_if $od (i32.ge_u (local.get $i) (local.get $m)))
        (i32.store (i32.add (local.get $order) (i32.shl (local.get $i) (i32.const 2)))
          (i32.load (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))))
        (i32.store8 (i32.add (local.get $bs) (local.get $i))
          (if (result i32) (i32.eqz (local.get $i))
            (then (i32.const 1))
            (else
              (i64.ne
                (i64.load (i32.add (local.get $keys) (i32.shl (local.get $i) (i32.const 3))))
                (i64.load (i32.add (local.get $keys) (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 3))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $ol)))
    (local.get $m))

  ;; The walk-forward regressions of the incrementality check (stats/research-incremental.ts): the
  ;; per-row loops, the solves stay in TypeScript. $base: B addresses (int32) of the baseline columns;
  ;; rows are indices into the asset's columns (float64); $row: scratch of B + 2 float64.

  ;; usableRows: rows with a finite feature, label, time and baseline, ascending, into $out; returns their count.
  (func (export "wf_usable")
    (param $n i32) (param $x i32) (param $y i32) (param $time i32) (param $B i32) (param $base i32) (param $out i32) (result i32)
    (local $i i32) (local $m i32) (local $b i32) (local $ok i32) (local $v f64) (local $a i32)
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a (i32.shl (local.get $i) (i32.const 3)))
        (local.set $v (f64.load (i32.add (local.get $x) (local.get $a))))
        (local.set $ok (f64.eq (f64.sub (local.get $v) (local.get $v)) (f64.const 0)))
        (local.set $v (f64.load (i32.add (local.get $y) (local.get $a))))
        (local.set $ok (i32.and (local.get $ok) (f64.eq (f64.sub (local.get $v) (local.get $v)) (f64.const 0))))
        (local.set $v (f64.load (i32.add (local.get $time) (local.get $a))))
        (local.set $ok (i32.and (local.get $ok) (f64.eq (f64.sub (local.get $v) (local.get $v)) (f64.const 0))))
        (local.set $b (i32.const 0))
        (block $bd
          (loop $bl
            (br_if $bd (i32.ge_u (local.get $b) (local.get $B)))
            (local.set $v (f64.load (i32.add (i32.load (i32.add (local.get $base) (i32.shl (local.get $b) (i32.const 2)))) (local.get $a))))
            (local.set $ok (i32.and (local.get $ok) (f64.eq (f64.sub (local.get $v) (local.get $v)) (f64.const 0))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $bl)))
        (if (local.get $ok)
          (then
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $m) (i32.const 2))) (local.get $i))
            (local.set $m (i32.add (local.get $m) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))
    (local.get $m))

  ;; $row[1..B] = the baseline at row $i ($row[0] = 1 is the caller's); with $x >= 0 also $row[B + 1] = x[i].
  (func $wf_row (param $i i32) (param $B i32) (param $base i32) (param $row i32)
    (local $b i32) (local $a i32)
    (local.set $a (i32.shl (local.get $i) (i32.const 3)))
    (block $bd
      (loop $bl
        (br_if $bd (i32.ge_u (local.get $b) (local.get $B)))
        (f64.store (i32.add (local.get $row) (i32.shl (i32.add (local.get $b) (i32.const 1)) (i32.const 3)))
          (f64.load (i32.add (i32.load (i32.add (local.get $base) (i32.shl (local.get $b) (i32.const 2)))) (local.get $a))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bl))))

  ;; the label side's running sums over usable rows [from, to): S (q x q, upper triangle of the p x p
  ;; [1, baseline] block; q = B + 2, p = B + 1), Sy (p) and the label's sum at $ySum.
  (func (export "wf_acc_label")
    (param $from i32) (param $to i32) (param $rows i32) (param $B i32) (param $base i32) (param $y i32)
    (param $row i32) (param $S i32) (param $Sy i32) (param $ySum i32)
    (local $r i32) (local $i i32) (local $p i32) (local $q i32) (local $a i32) (local $b i32) (local $o i32)
    (local $yv f64) (local $ra f64) (local $ad i32)
    (local.set $p (i32.add (local.get $B) (i32.const 1)))
    (local.set $q (i32.add (local.get $B) (i32.const 2)))
    (local.set $r (local.get $from))
    (block $done
      (loop $rl
        (br_if $done (i32.ge_u (local.get $r) (local.get $to)))
        (local.set $i (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2)))))
        (call $wf_row (local.get $i) (local.get $B) (local.get $base) (local.get $row))
        (local.set $yv (f64.load (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $a (i32.const 0))
        (loop $al
          (local.set $ra (f64.load (i32.add (local.get $row) (i32.shl (local.get $a) (i32.const 3)))))
          (local.set $ad (i32.add (local.get $Sy) (i32.shl (local.get $a) (i32.const 3))))
          (f64.store (local.get $ad) (f64.add (f64.load (local.get $ad)) (f64.mul (local.get $ra) (local.get $yv))))
          (local.set $b (local.get $a))
          (local.set $o (i32.add (i32.mul (local.get $a) (local.get $q)) (local.get $a)))
          (loop $bl
            (local.set $ad (i32.add (local.get $S) (i32.shl (local.get $o) (i32.const 3))))
            (f64.store (local.get $ad)
              (f64.add (f64.load (local.get $ad))
                (f64.mul (local.get $ra) (f64.load (i32.add (local.get $row) (i32.shl (local.get $b) (i32.const 3)))))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (br_if $bl (i32.lt_u (local.get $b) (local.get $p))))
          (local.set $a (i32.add (local.get $a) (i32.const 1)))
          (br_if $al (i32.lt_u (local.get $a) (local.get $p))))
        (f64.store (local.get $ySum) (f64.add (f64.load (local.get $ySum)) (local.get $yv)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl))))

  ;; pb[r] = coef[0] + sum_b coef[b + 1] base_b[i] for usable rows [r0, r1).
  (func (export "wf_predict")
    (param $r0 i32) (param $r1 i32) (param $rows i32) (param $B i32) (param $base i32) (param $coef i32) (param $pb i32)
    (local $r i32) (local $a i32) (local $b i32) (local $v f64)
    (local.set $r (local.get $r0))
    (block $done
      (loop $rl
        (br_if $done (i32.ge_u (local.get $r) (local.get $r1)))
        (local.set $a (i32.shl (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2)))) (i32.const 3)))
        (local.set $v (f64.load (local.get $coef)))
        (local.set $b (i32.const 0))
        (block $bd
          (loop $bl
            (br_if $bd (i32.ge_u (local.get $b) (local.get $B)))
            (local.set $v
              (f64.add (local.get $v)
                (f64.mul
                  (f64.load (i32.add (local.get $coef) (i32.shl (i32.add (local.get $b) (i32.const 1)) (i32.const 3))))
                  (f64.load (i32.add (i32.load (i32.add (local.get $base) (i32.shl (local.get $b) (i32.const 2)))) (local.get $a))))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $bl)))
        (f64.store (i32.add (local.get $pb) (i32.shl (local.get $r) (i32.const 3))) (local.get $v))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl))))

  ;; the feature's running sums over usable rows [from, to): Fx[a] += row[a] x (a < q, row = [1, baseline, x])
  ;; and at $Fy the sum of x y.
  (func (export "wf_acc_feature")
    (param $from i32) (param $to i32) (param $rows i32) (param $B i32) (param $base i32) (param $x i32) (param $y i32)
    (param $row i32) (param $Fx i32) (param $Fy i32)
    (local $r i32) (local $i i32) (local $q i32) (local $a i32) (local $xi f64) (local $ad i32)
    (local.set $q (i32.add (local.get $B) (i32.const 2)))
    (local.set $r (local.get $from))
    (block $done
      (loop $rl
        (br_if $done (i32.ge_u (local.get $r) (local.get $to)))
        (local.set $i (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2)))))
        (call $wf_row (local.get $i) (local.get $B) (local.get $base) (local.get $row))
        (local.set $xi (f64.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3)))))
        (f64.store (i32.add (local.get $row) (i32.shl (i32.sub (local.get $q) (i32.const 1)) (i32.const 3))) (local.get $xi))
        (local.set $a (i32.const 0))
        (loop $al
          (local.set $ad (i32.add (local.get $Fx) (i32.shl (local.get $a) (i32.const 3))))
          (f64.store (local.get $ad)
            (f64.add (f64.load (local.get $ad)) (f64.mul (f64.load (i32.add (local.get $row) (i32.shl (local.get $a) (i32.const 3)))) (local.get $xi))))
          (local.set $a (i32.add (local.get $a) (i32.const 1)))
          (br_if $al (i32.lt_u (local.get $a) (local.get $q))))
        (f64.store (local.get $Fy)
          (f64.add (f64.load (local.get $Fy)) (f64.mul (local.get $xi) (f64.load (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 3)))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl))))

  ;; a fold's test rows [r0, r1): the residuals and predictions at each row, its fold $j, and the
  ;; sums of squares at $acc (sseB, sseF, sst). bFull: B + 2 coefficients, bF: B + 1.
  (func (export "wf_resid")
    (param $r0 i32) (param $r1 i32) (param $j i32) (param $rows i32) (param $B i32) (param $base i32) (param $x i32) (param $y i32)
    (param $pbs i32) (param $bFull i32) (param $bF i32) (param $fr i32) (param $lr i32) (param $pbOut i32) (param $pfOut i32) (param $fold i32)
    (param $acc i32) (param $yMean f64)
    (local $r i32) (local $i i32) (local $a i32) (local $b i32) (local $ba f64) (local $xi f64) (local $pb f64) (local $pf f64) (local $pF f64) (local $yv f64) (local $d f64)
    (local.set $r (local.get $r0))
    (block $done
      (loop $rl
        (br_if $done (i32.ge_u (local.get $r) (local.get $r1)))
        (local.set $i (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $a (i32.shl (local.get $i) (i32.const 3)))
        (local.set $xi (f64.load (i32.add (local.get $x) (local.get $a))))
        (local.set $pb (f64.load (i32.add (local.get $pbs) (i32.shl (local.get $r) (i32.const 3)))))
        (local.set $pf (f64.load (local.get $bFull)))
        (local.set $b (i32.const 0))
        (block $bd
          (loop $bl
            (br_if $bd (i32.ge_u (local.get $b) (local.get $B)))
            (local.set $pf
              (f64.add (local.get $pf)
                (f64.mul
                  (f64.load (i32.add (local.get $bFull) (i32.shl (i32.add (local.get $b) (i32.const 1)) (i32.const 3))))
                  (f64.load (i32.add (i32.load (i32.add (local.get $base) (i32.shl (local.get $b) (i32.const 2)))) (local.get $a))))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $bl)))
        (local.set $pf
          (f64.add (local.get $pf)
            (f64.mul (f64.load (i32.add (local.get $bFull) (i32.shl (i32.add (local.get $B) (i32.const 1)) (i32.const 3)))) (local.get $xi))))
        (local.set $pF (f64.load (local.get $bF)))
        (local.set $b (i32.const 0))
        (block $cd
          (loop $cl
            (br_if $cd (i32.ge_u (local.get $b) (local.get $B)))
            (local.set $pF
              (f64.add (local.get $pF)
                (f64.mul
                  (f64.load (i32.add (local.get $bF) (i32.shl (i32.add (local.get $b) (i32.const 1)) (i32.const 3))))
                  (f64.load (i32.add (i32.load (i32.add (local.get $base) (i32.shl (local.get $b) (i32.const 2)))) (local.get $a))))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $cl)))
        (local.set $yv (f64.load (i32.add (local.get $y) (local.get $a))))
        (f64.store (i32.add (local.get $fr) (local.get $a)) (f64.sub (local.get $xi) (local.get $pF)))
        (f64.store (i32.add (local.get $lr) (local.get $a)) (f64.sub (local.get $yv) (local.get $pb)))
        (f64.store (i32.add (local.get $pbOut) (local.get $a)) (local.get $pb))
        (f64.store (i32.add (local.get $pfOut) (local.get $a)) (local.get $pf))
        (i32.store (i32.add (local.get $fold) (i32.shl (local.get $i) (i32.const 2))) (local.get $j))
        (local.set $d (f64.sub (local.get $yv) (local.get $pb)))
        (f64.store (local.get $acc) (f64.add (f64.load (local.get $acc)) (f64.mul (local.get $d) (local.get $d))))
        (local.set $d (f64.sub (local.get $yv) (local.get $pf)))
        (f64.store offset=8 (local.get $acc) (f64.add (f64.load offset=8 (local.get $acc)) (f64.mul (local.get $d) (local.get $d))))
        (local.set $d (f64.sub (local.get $yv) (local.get $yMean)))
        (f64.store offset=16 (local.get $acc) (f64.add (f64.load offset=16 (local.get $acc)) (f64.mul (local.get $d) (local.get $d))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl))))

  ;; timeCounts: per cell and decision time of the pooled groupings, the valid rows (c + 1 each), or
  ;; with $sub = 1 minus the valid rows of groups whose contributions are undefined (inv = 0).
  (func (export "tcount")
    (param $N i32) (param $K i32) (param $pooled i32) (param $table i32) (param $valid i32) (param $tIdx i32)
    (param $series i32) (param $inv i32) (param $c i32) (param $sub i32)
    (local $i i32) (local $b i32) (local $e i32) (local $t i32) (local $idx i32) (local $a i32) (local $KT i32)
    (local.set $KT (i32.shl (local.get $K) (i32.const 1)))
    (if (i32.eqz (local.get $pooled)) (then (return)))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $N)))
        (if (i32.eq (i32.load8_u (i32.add (local.get $valid) (local.get $i))) (i32.const 1))
          (then
            (local.set $t (i32.load (i32.add (local.get $tIdx) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $b (i32.add (local.get $table) (i32.mul (local.get $i) (local.get $KT))))
            (local.set $e (i32.add (local.get $b) (i32.shl (local.get $pooled) (i32.const 1))))
            (loop $ks
              (local.set $idx (i32.sub (i32.load16_u (local.get $b)) (i32.const 1)))
              (if (i32.ge_s (local.get $idx) (i32.const 0))
                (then
                  (if (i32.or (i32.eqz (local.get $sub))
                        (f64.eq (f64.load (i32.add (local.get $inv) (i32.shl (local.get $idx) (i32.const 3)))) (f64.const 0)))
                    (then
                      (local.set $a
                        (i32.add (local.get $c)
                          (i32.shl (i32.add (i32.load (i32.add (local.get $series) (i32.shl (local.get $idx) (i32.const 2)))) (local.get $t)) (i32.const 2))))
                      (i32.store (local.get $a)
                        (select (i32.sub (i32.load (local.get $a)) (i32.const 1)) (i32.add (i32.load (local.get $a)) (i32.const 1)) (local.get $sub)))))))
              (local.set $b (i32.add (local.get $b) (i32.const 2)))
              (br_if $ks (i32.lt_u (local.get $b) (local.get $e))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

  ;; pooledOf's series: the mean contribution u per decision time with any rows (sum / count), in
  ;; time order, into $out; returns how many.
  (func (export "series") (param $G i32) (param $tsum i32) (param $tcnt i32) (param $out i32) (result i32)
    (local $t i32) (local $j i32) (local $c i32)
    (block $done
      (loop $tl
        (br_if $done (i32.ge_u (local.get $t) (local.get $G)))
        (local.set $c (i32.load (i32.add (local.get $tcnt) (i32.shl (local.get $t) (i32.const 2)))))
        (if (i32.gt_s (local.get $c) (i32.const 0))
          (then
            (f64.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 3)))
              (f64.div (f64.load (i32.add (local.get $tsum) (i32.shl (local.get $t) (i32.const 3)))) (f64.convert_i32_s (local.get $c))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tl)))
    (local.get $j))

  ;; longRunVarianceFast (n > 0, L = min(floor(lags), n - 1) >= 0): with $direct = 1 the direct sum
  ;; of ic.longRunVariance, else the box kernel (z, P: n and n + 1 float64 of scratch). Writes gamma0
  ;; and max(lrv, 0) to $out. With $hac = 1, hacSum instead (L = floor(lags) >= 0, any n > 0): the
  ;; series is not centred and the sums are not divided by n; writes the sum to $out + 8.
  (func (export "lrv") (param $x i32) (param $n i32) (param $L i32) (param $direct i32) (param $z i32) (param $P i32) (param $out i32) (param $hac i32)
    (local $i i32) (local $k i32) (local $t i32) (local $s f64) (local $m f64) (local $nf f64) (local $g0 f64)
    (local $lrv f64) (local $g f64) (local $d f64) (local $a i32) (local $b i32) (local $mm i32) (local $w f64)
    (local.set $nf (f64.convert_i32_s (local.get $n)))
    ;; the mean (hacSum: none; x - 0 is x)
    (block $md
      (br_if $md (local.get $hac))
      (loop $ml
        (br_if $md (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (f64.add (local.get $s) (f64.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $ml)))
    (local.set $m (select (f64.const 0) (f64.div (local.get $s) (local.get $nf)) (local.get $hac)))
    (if (local.get $direct)
      (then
        ;; gamma(k) = sum_{t >= k} (x_t - m)(x_{t-k} - m) / n; lrv = g0 + sum_k 2 (1 - k / (L + 1)) gamma(k)
        (local.set $k (i32.const 0))
        (loop $kl
          (local.set $s (f64.const 0))
          (local.set $t (local.get $k))
          (block $td
            (loop $tl
              (br_if $td (i32.ge_u (local.get $t) (local.get $n)))
              (local.set $s
                (f64.add (local.get $s)
                  (f64.mul
                    (f64.sub (f64.load (i32.add (local.get $x) (i32.shl (local.get $t) (i32.const 3)))) (local.get $m))
                    (f64.sub (f64.load (i32.add (local.get $x) (i32.shl (i32.sub (local.get $t) (local.get $k)) (i32.const 3)))) (local.get $m)))))
              (local.set $t (i32.add (local.get $t) (i32.const 1)))
              (br $tl)))
          (local.set $g (select (local.get $s) (f64.div (local.get $s) (local.get $nf)) (local.get $hac)))
          (if (i32.eqz (local.get $k))
            (then
              (local.set $g0 (local.get $g))
              (local.set $lrv (local.get $g)))
            (else
              (local.set $lrv
                (f64.add (local.get $lrv)
                  (f64.mul
                    (f64.mul (f64.const 2)
                      (f64.sub (f64.const 1)
                        (f64.div (f64.convert_i32_s (local.get $k)) (f64.convert_i32_s (i32.add (local.get $L) (i32.const 1))))))
                    (local.get $g))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $kl (i32.le_s (local.get $k) (local.get $L))))
        (f64.store (local.get $out) (local.get $g0))
        (f64.store offset=8 (local.get $out) (select (local.get $lrv) (f64.max (local.get $lrv) (f64.const 0)) (local.get $hac))))
      (else
        ;; the centred series, its squares' sum, its prefix sums and the windows of L + 1
        (local.set $i (i32.const 0))
        (local.set $s (f64.const 0))
        (block $cd
          (loop $cl
            (br_if $cd (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $d (f64.sub (f64.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3)))) (local.get $m)))
            (f64.store (i32.add (local.get $z) (i32.shl (local.get $i) (i32.const 3))) (local.get $d))
            (local.set $s (f64.add (local.get $s) (f64.mul (local.get $d) (local.get $d))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $cl)))
        (local.set $g0 (local.get $s))
        (f64.store (local.get $P) (f64.const 0))
        (local.set $i (i32.const 0))
        (block $pd
          (loop $pl
            (br_if $pd (i32.ge_u (local.get $i) (local.get $n)))
            (f64.store (i32.add (local.get $P) (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 3)))
              (f64.add
                (f64.load (i32.add (local.get $P) (i32.shl (local.get $i) (i32.const 3))))
                (f64.load (i32.add (local.get $z) (i32.shl (local.get $i) (i32.const 3))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $pl)))
        (local.set $s (f64.const 0))
        (local.set $mm (i32.sub (i32.const 0) (local.get $L)))
        (block $wd
          (loop $wl
            (br_if $wd (i32.ge_s (local.get $mm) (local.get $n)))
            (local.set $a (select (i32.const 0) (local.get $mm) (i32.lt_s (local.get $mm) (i32.const 0))))
            (local.set $b (i32.add (i32.add (local.get $mm) (local.get $L)) (i32.const 1)))
            (local.set $b (select (local.get $n) (local.get $b) (i32.gt_s (local.get $b) (local.get $n))))
            (local.set $w
              (f64.sub
                (f64.load (i32.add (local.get $P) (i32.shl (local.get $b) (i32.const 3))))
                (f64.load (i32.add (local.get $P) (i32.shl (local.get $a) (i32.const 3))))))
            (local.set $s (f64.add (local.get $s) (f64.mul (local.get $w) (local.get $w))))
            (local.set $mm (i32.add (local.get $mm) (i32.const 1)))
            (br $wl)))
        (local.set $w (f64.div (local.get $s) (f64.convert_i32_s (i32.add (local.get $L) (i32.const 1)))))
        (f64.store (local.get $out) (f64.div (local.get $g0) (local.get $nf)))
        (f64.store offset=8 (local.get $out)
          (select (local.get $w) (f64.max (f64.div (local.get $w) (local.get $nf)) (f64.const 0)) (local.get $hac))))))
)
