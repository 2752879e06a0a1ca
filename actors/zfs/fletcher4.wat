;; fletcher4 (see checksum.ts): fletcher4(ptr, len) sums the len bytes at ptr (whole 32-bit words)
;; and stores a, b, c, d as four little-endian 64-bit words at bytes 0..31 of the memory.
;; Sixteen bytes at a time, word 4i+j going to stream j: streams 0 and 1 in the lanes of the *L
;; vectors, 2 and 3 in those of the *H vectors; the words past the last 16 bytes one by one.
;; Rebuild the bytes checksum.ts embeds with wabt: `wat2wasm --enable-simd fletcher4.wat`, base64.
(module
  (memory (export "memory") 1)
  (func (export "fletcher4") (param $ptr i32) (param $len i32)
    (local $end i32) (local $vend i32) (local $v v128)
    (local $aL v128) (local $bL v128) (local $cL v128) (local $dL v128)
    (local $aH v128) (local $bH v128) (local $cH v128) (local $dH v128)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64)
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (local.set $vend (i32.add (local.get $ptr) (i32.and (local.get $len) (i32.const -16))))
    (block $vdone
      (loop $vnext
        (br_if $vdone (i32.ge_u (local.get $ptr) (local.get $vend)))
        (local.set $v (v128.load (local.get $ptr)))
        (local.set $aL (i64x2.add (local.get $aL) (i64x2.extend_low_i32x4_u (local.get $v))))
        (local.set $aH (i64x2.add (local.get $aH) (i64x2.extend_high_i32x4_u (local.get $v))))
        (local.set $bL (i64x2.add (local.get $bL) (local.get $aL)))
        (local.set $bH (i64x2.add (local.get $bH) (local.get $aH)))
        (local.set $cL (i64x2.add (local.get $cL) (local.get $bL)))
        (local.set $cH (i64x2.add (local.get $cH) (local.get $bH)))
        (local.set $dL (i64x2.add (local.get $dL) (local.get $cL)))
        (local.set $dH (i64x2.add (local.get $dH) (local.get $cH)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
        (br $vnext)))
    ;; The four streams (word 4i+j in stream j) combined, as fletcher_4_avx2_fini in zfs_fletcher_intel.c does.
    (local.set $a (i64.add (i64.add (i64x2.extract_lane 0 (local.get $aL)) (i64x2.extract_lane 1 (local.get $aL)))
                           (i64.add (i64x2.extract_lane 0 (local.get $aH)) (i64x2.extract_lane 1 (local.get $aH)))))
    (local.set $b (i64.sub
      (i64.mul (i64.const 4) (i64.add (i64.add (i64x2.extract_lane 0 (local.get $bL)) (i64x2.extract_lane 1 (local.get $bL)))
                                      (i64.add (i64x2.extract_lane 0 (local.get $bH)) (i64x2.extract_lane 1 (local.get $bH)))))
      (i64.add (i64.add (i64x2.extract_lane 1 (local.get $aL)) (i64.mul (i64.const 2) (i64x2.extract_lane 0 (local.get $aH))))
               (i64.mul (i64.const 3) (i64x2.extract_lane 1 (local.get $aH))))))
    (local.set $c (i64.add
      (i64.add
        (i64.mul (i64.const 16) (i64.add (i64.add (i64x2.extract_lane 0 (local.get $cL)) (i64x2.extract_lane 1 (local.get $cL)))
                                         (i64.add (i64x2.extract_lane 0 (local.get $cH)) (i64x2.extract_lane 1 (local.get $cH)))))
        (i64.add (i64x2.extract_lane 0 (local.get $aH)) (i64.mul (i64.const 3) (i64x2.extract_lane 1 (local.get $aH)))))
      (i64.sub (i64.const 0)
        (i64.add
          (i64.add (i64.mul (i64.const 6) (i64x2.extract_lane 0 (local.get $bL))) (i64.mul (i64.const 10) (i64x2.extract_lane 1 (local.get $bL))))
          (i64.add (i64.mul (i64.const 14) (i64x2.extract_lane 0 (local.get $bH))) (i64.mul (i64.const 18) (i64x2.extract_lane 1 (local.get $bH))))))))
    (local.set $d (i64.add
      (i64.add
        (i64.mul (i64.const 64) (i64.add (i64.add (i64x2.extract_lane 0 (local.get $dL)) (i64x2.extract_lane 1 (local.get $dL)))
                                         (i64.add (i64x2.extract_lane 0 (local.get $dH)) (i64x2.extract_lane 1 (local.get $dH)))))
        (i64.add
          (i64.add (i64.mul (i64.const 4) (i64x2.extract_lane 0 (local.get $bL))) (i64.mul (i64.const 10) (i64x2.extract_lane 1 (local.get $bL))))
          (i64.add (i64.mul (i64.const 20) (i64x2.extract_lane 0 (local.get $bH))) (i64.mul (i64.const 34) (i64x2.extract_lane 1 (local.get $bH))))))
      (i64.sub (i64.const 0)
        (i64.add
          (i64x2.extract_lane 1 (local.get $aH))
          (i64.add
            (i64.add (i64.mul (i64.const 48) (i64x2.extract_lane 0 (local.get $cL))) (i64.mul (i64.const 64) (i64x2.extract_lane 1 (local.get $cL))))
            (i64.add (i64.mul (i64.const 80) (i64x2.extract_lane 0 (local.get $cH))) (i64.mul (i64.const 96) (i64x2.extract_lane 1 (local.get $cH)))))))))
    ;; The words past the last whole 16 bytes, one at a time.
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $a (i64.add (local.get $a) (i64.load32_u (local.get $ptr))))
        (local.set $b (i64.add (local.get $b) (local.get $a)))
        (local.set $c (i64.add (local.get $c) (local.get $b)))
        (local.set $d (i64.add (local.get $d) (local.get $c)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 4)))
        (br $next)))
    (i64.store (i32.const 0) (local.get $a))
    (i64.store (i32.const 8) (local.get $b))
    (i64.store (i32.const 16) (local.get $c))
    (i64.store (i32.const 24) (local.get $d))))
