//go:build amd64 && !purego

#include "textflag.h"

// func Kernel6x8(k int, a *float64, rsa, csa int, b *float64, c *float64, ldc int, alpha, beta float64, rows int)
//
// C[i][j] = beta·C[i][j] + alpha·Σ_p A(i,p)·B[p][j] for i < rows ≤ 6, j < 8
// (all six rows of A are read), where
// A(i,p) = a[i·rsa + p·csa], B is packed (b[p·8 + j]) and C[i][j] = c[i·ldc + j].
// Each sum is accumulated from zero with one FMA per p, in order p = 0..k-1,
// so the result does not depend on where the tile lies in a larger product.
TEXT ·Kernel6x8(SB), NOSPLIT, $0-80
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsa+16(FP), R9
	MOVQ csa+24(FP), R12
	MOVQ b+32(FP), DI
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $3, R9
	SHLQ $3, R12
	SHLQ $3, R8
	LEAQ (R9)(R9*2), R10
	LEAQ (R9)(R9*4), R11

	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11

	TESTQ CX, CX
	JEQ   epilogue

	MOVQ CX, R13
	SHRQ $1, R13
	JEQ  tail

loop2:
	VMOVUPD      (DI), Y12
	VMOVUPD      32(DI), Y13
	VBROADCASTSD (SI), Y14
	VFMADD231PD  Y12, Y14, Y0
	VFMADD231PD  Y13, Y14, Y1
	VBROADCASTSD (SI)(R9*1), Y15
	VFMADD231PD  Y12, Y15, Y2
	VFMADD231PD  Y13, Y15, Y3
	VBROADCASTSD (SI)(R9*2), Y14
	VFMADD231PD  Y12, Y14, Y4
	VFMADD231PD  Y13, Y14, Y5
	VBROADCASTSD (SI)(R10*1), Y15
	VFMADD231PD  Y12, Y15, Y6
	VFMADD231PD  Y13, Y15, Y7
	VBROADCASTSD (SI)(R9*4), Y14
	VFMADD231PD  Y12, Y14, Y8
	VFMADD231PD  Y13, Y14, Y9
	VBROADCASTSD (SI)(R11*1), Y15
	VFMADD231PD  Y12, Y15, Y10
	VFMADD231PD  Y13, Y15, Y11
	ADDQ         R12, SI
	VMOVUPD      64(DI), Y12
	VMOVUPD      96(DI), Y13
	VBROADCASTSD (SI), Y14
	VFMADD231PD  Y12, Y14, Y0
	VFMADD231PD  Y13, Y14, Y1
	VBROADCASTSD (SI)(R9*1), Y15
	VFMADD231PD  Y12, Y15, Y2
	VFMADD231PD  Y13, Y15, Y3
	VBROADCASTSD (SI)(R9*2), Y14
	VFMADD231PD  Y12, Y14, Y4
	VFMADD231PD  Y13, Y14, Y5
	VBROADCASTSD (SI)(R10*1), Y15
	VFMADD231PD  Y12, Y15, Y6
	VFMADD231PD  Y13, Y15, Y7
	VBROADCASTSD (SI)(R9*4), Y14
	VFMADD231PD  Y12, Y14, Y8
	VFMADD231PD  Y13, Y14, Y9
	VBROADCASTSD (SI)(R11*1), Y15
	VFMADD231PD  Y12, Y15, Y10
	VFMADD231PD  Y13, Y15, Y11
	ADDQ         R12, SI
	ADDQ         $128, DI
	DECQ         R13
	JNE          loop2

tail:
	ANDQ $1, CX
	JEQ  epilogue
	VMOVUPD      (DI), Y12
	VMOVUPD      32(DI), Y13
	VBROADCASTSD (SI), Y14
	VFMADD231PD  Y12, Y14, Y0
	VFMADD231PD  Y13, Y14, Y1
	VBROADCASTSD (SI)(R9*1), Y15
	VFMADD231PD  Y12, Y15, Y2
	VFMADD231PD  Y13, Y15, Y3
	VBROADCASTSD (SI)(R9*2), Y14
	VFMADD231PD  Y12, Y14, Y4
	VFMADD231PD  Y13, Y14, Y5
	VBROADCASTSD (SI)(R10*1), Y15
	VFMADD231PD  Y12, Y15, Y6
	VFMADD231PD  Y13, Y15, Y7
	VBROADCASTSD (SI)(R9*4), Y14
	VFMADD231PD  Y12, Y14, Y8
	VFMADD231PD  Y13, Y14, Y9
	VBROADCASTSD (SI)(R11*1), Y15
	VFMADD231PD  Y12, Y15, Y10
	VFMADD231PD  Y13, Y15, Y11
	ADDQ         R12, SI
	ADDQ         $64, DI

epilogue:
	VBROADCASTSD alpha+56(FP), Y14
	VBROADCASTSD beta+64(FP), Y15
	MOVQ         rows+72(FP), BX

	VMULPD      (DX), Y15, Y12
	VMULPD      32(DX), Y15, Y13
	VFMADD231PD Y0, Y14, Y12
	VFMADD231PD Y1, Y14, Y13
	VMOVUPD     Y12, (DX)
	VMOVUPD     Y13, 32(DX)
	DECQ        BX
	JEQ         kernel_done
	ADDQ        R8, DX

	VMULPD      (DX), Y15, Y12
	VMULPD      32(DX), Y15, Y13
	VFMADD231PD Y2, Y14, Y12
	VFMADD231PD Y3, Y14, Y13
	VMOVUPD     Y12, (DX)
	VMOVUPD     Y13, 32(DX)
	DECQ        BX
	JEQ         kernel_done
	ADDQ        R8, DX

	VMULPD      (DX), Y15, Y12
	VMULPD      32(DX), Y15, Y13
	VFMADD231PD Y4, Y14, Y12
	VFMADD231PD Y5, Y14, Y13
	VMOVUPD     Y12, (DX)
	VMOVUPD     Y13, 32(DX)
	DECQ        BX
	JEQ         kernel_done
	ADDQ        R8, DX

	VMULPD      (DX), Y15, Y12
	VMULPD      32(DX), Y15, Y13
	VFMADD231PD Y6, Y14, Y12
	VFMADD231PD Y7, Y14, Y13
	VMOVUPD     Y12, (DX)
	VMOVUPD     Y13, 32(DX)
	DECQ        BX
	JEQ         kernel_done
	ADDQ        R8, DX

	VMULPD      (DX), Y15, Y12
	VMULPD      32(DX), Y15, Y13
	VFMADD231PD Y8, Y14, Y12
	VFMADD231PD Y9, Y14, Y13
	VMOVUPD     Y12, (DX)
	VMOVUPD     Y13, 32(DX)
	DECQ        BX
	JEQ         kernel_done
	ADDQ        R8, DX

	VMULPD      (DX), Y15, Y12
	VMULPD      32(DX), Y15, Y13
	VFMADD231PD Y10, Y14, Y12
	VFMADD231PD Y11, Y14, Y13
	VMOVUPD     Y12, (DX)
	VMOVUPD     Y13, 32(DX)

kernel_done:
	VZEROUPPER
	RET

// func Kernel6x4(k int, a *float64, rsa, csa int, b *float64, c *float64, ldc int, alpha, beta float64, rows int)
//
// Kernel6x8 for the first 4 columns of the tile only: C[i][j] for
// i < rows ≤ 6, j < 4 (B is still packed 8 wide), with the same arithmetic.
// As for Kernel6x8, 
// A(i,p) = a[i·rsa + p·csa], B is packed (b[p·8 + j]) and C[i][j] = c[i·ldc + j].
// Each sum is accumulated from zero with one FMA per p, in order p = 0..k-1,
// so the result does not depend on where the tile lies in a larger product.
TEXT ·Kernel6x4(SB), NOSPLIT, $0-80
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsa+16(FP), R9
	MOVQ csa+24(FP), R12
	MOVQ b+32(FP), DI
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R8
	SHLQ $3, R9
	SHLQ $3, R12
	SHLQ $3, R8
	LEAQ (R9)(R9*2), R10
	LEAQ (R9)(R9*4), R11

	VXORPD Y0, Y0, Y0
	VXORPD Y2, Y2, Y2
	VXORPD Y4, Y4, Y4
	VXORPD Y6, Y6, Y6
	VXORPD Y8, Y8, Y8
	VXORPD Y10, Y10, Y10

	TESTQ CX, CX
	JEQ   epilogue4

	MOVQ CX, R13
	SHRQ $1, R13
	JEQ  tail4

loop24:
	VMOVUPD      (DI), Y12
	VBROADCASTSD (SI), Y14
	VFMADD231PD  Y12, Y14, Y0
	VBROADCASTSD (SI)(R9*1), Y15
	VFMADD231PD  Y12, Y15, Y2
	VBROADCASTSD (SI)(R9*2), Y14
	VFMADD231PD  Y12, Y14, Y4
	VBROADCASTSD (SI)(R10*1), Y15
	VFMADD231PD  Y12, Y15, Y6
	VBROADCASTSD (SI)(R9*4), Y14
	VFMADD231PD  Y12, Y14, Y8
	VBROADCASTSD (SI)(R11*1), Y15
	VFMADD231PD  Y12, Y15, Y10
	ADDQ         R12, SI
	VMOVUPD      64(DI), Y12
	VBROADCASTSD (SI), Y14
	VFMADD231PD  Y12, Y14, Y0
	VBROADCASTSD (SI)(R9*1), Y15
	VFMADD231PD  Y12, Y15, Y2
	VBROADCASTSD (SI)(R9*2), Y14
	VFMADD231PD  Y12, Y14, Y4
	VBROADCASTSD (SI)(R10*1), Y15
	VFMADD231PD  Y12, Y15, Y6
	VBROADCASTSD (SI)(R9*4), Y14
	VFMADD231PD  Y12, Y14, Y8
	VBROADCASTSD (SI)(R11*1), Y15
	VFMADD231PD  Y12, Y15, Y10
	ADDQ         R12, SI
	ADDQ         $128, DI
	DECQ         R13
	JNE          loop24

tail4:
	ANDQ $1, CX
	JEQ  epilogue4
	VMOVUPD      (DI), Y12
	VBROADCASTSD (SI), Y14
	VFMADD231PD  Y12, Y14, Y0
	VBROADCASTSD (SI)(R9*1), Y15
	VFMADD231PD  Y12, Y15, Y2
	VBROADCASTSD (SI)(R9*2), Y14
	VFMADD231PD  Y12, Y14, Y4
	VBROADCASTSD (SI)(R10*1), Y15
	VFMADD231PD  Y12, Y15, Y6
	VBROADCASTSD (SI)(R9*4), Y14
	VFMADD231PD  Y12, Y14, Y8
	VBROADCASTSD (SI)(R11*1), Y15
	VFMADD231PD  Y12, Y15, Y10
	ADDQ         R12, SI
	ADDQ         $64, DI

epilogue4:
	VBROADCASTSD alpha+56(FP), Y14
	VBROADCASTSD beta+64(FP), Y15
	MOVQ         rows+72(FP), BX

	VMULPD      (DX), Y15, Y12
	VFMADD231PD Y0, Y14, Y12
	VMOVUPD     Y12, (DX)
	DECQ        BX
	JEQ         kernel_done4
	ADDQ        R8, DX

	VMULPD      (DX), Y15, Y12
	VFMADD231PD Y2, Y14, Y12
	VMOVUPD     Y12, (DX)
	DECQ        BX
	JEQ         kernel_done4
	ADDQ        R8, DX

	VMULPD      (DX), Y15, Y12
	VFMADD231PD Y4, Y14, Y12
	VMOVUPD     Y12, (DX)
	DECQ        BX
	JEQ         kernel_done4
	ADDQ        R8, DX

	VMULPD      (DX), Y15, Y12
	VFMADD231PD Y6, Y14, Y12
	VMOVUPD     Y12, (DX)
	DECQ        BX
	JEQ         kernel_done4
	ADDQ        R8, DX

	VMULPD      (DX), Y15, Y12
	VFMADD231PD Y8, Y14, Y12
	VMOVUPD     Y12, (DX)
	DECQ        BX
	JEQ         kernel_done4
	ADDQ        R8, DX

	VMULPD      (DX), Y15, Y12
	VFMADD231PD Y10, Y14, Y12
	VMOVUPD     Y12, (DX)

kernel_done4:
	VZEROUPPER
	RET

// func PackT8(dst *float64, src *float64, stride, k int)
//
// dst[i·8 + j] = src[j·stride + i] for j < 8 and i < k rounded down to a
// multiple of 4: the transpose of an 8×k block into one packed panel, by
// 4×4 blocks.
TEXT ·PackT8(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ stride+16(FP), R8
	MOVQ k+24(FP), CX
	SHLQ $3, R8
	SHRQ $2, CX
	JEQ  pack_done
	LEAQ (R8)(R8*2), R9 // 3·stride
	LEAQ (SI)(R8*4), R10 // row 4

pack_loop:
	VMOVUPD (SI), Y0
	VMOVUPD (SI)(R8*1), Y1
	VMOVUPD (SI)(R8*2), Y2
	VMOVUPD (SI)(R9*1), Y3
	VUNPCKLPD Y1, Y0, Y4
	VUNPCKHPD Y1, Y0, Y5
	VUNPCKLPD Y3, Y2, Y6
	VUNPCKHPD Y3, Y2, Y7
	VPERM2F128 $0x20, Y6, Y4, Y0
	VPERM2F128 $0x20, Y7, Y5, Y1
	VPERM2F128 $0x31, Y6, Y4, Y2
	VPERM2F128 $0x31, Y7, Y5, Y3
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 64(DI)
	VMOVUPD Y2, 128(DI)
	VMOVUPD Y3, 192(DI)

	VMOVUPD (R10), Y0
	VMOVUPD (R10)(R8*1), Y1
	VMOVUPD (R10)(R8*2), Y2
	VMOVUPD (R10)(R9*1), Y3
	VUNPCKLPD Y1, Y0, Y4
	VUNPCKHPD Y1, Y0, Y5
	VUNPCKLPD Y3, Y2, Y6
	VUNPCKHPD Y3, Y2, Y7
	VPERM2F128 $0x20, Y6, Y4, Y0
	VPERM2F128 $0x20, Y7, Y5, Y1
	VPERM2F128 $0x31, Y6, Y4, Y2
	VPERM2F128 $0x31, Y7, Y5, Y3
	VMOVUPD Y0, 32(DI)
	VMOVUPD Y1, 96(DI)
	VMOVUPD Y2, 160(DI)
	VMOVUPD Y3, 224(DI)

	ADDQ $32, SI
	ADDQ $32, R10
	ADDQ $256, DI
	DECQ CX
	JNE  pack_loop

pack_done:
	VZEROUPPER
	RET

// func PackN8(dst *float64, src *float64, stride, k int)
//
// dst[i·8 + j] = src[i·stride + j] for j < 8 and i < k: k rows of 8
// consecutive values into one packed panel.
TEXT ·PackN8(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ stride+16(FP), R8
	MOVQ k+24(FP), CX
	SHLQ $3, R8
	TESTQ CX, CX
	JEQ  packn_done

packn_loop:
	VMOVUPD (SI), Y0
	VMOVUPD 32(SI), Y1
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	ADDQ R8, SI
	ADDQ $64, DI
	DECQ CX
	JNE  packn_loop

packn_done:
	VZEROUPPER
	RET
