//go:build amd64 && !purego

#include "textflag.h"

// func reluAVX(h, g []float64)
//
// h[i] = max(g[i], 0) for i < len(g) rounded down to a multiple of 4.
// A NaN in g stays NaN.
TEXT ·reluAVX(SB), NOSPLIT, $0-48
	MOVQ   h_base+0(FP), DI
	MOVQ   g_base+24(FP), SI
	MOVQ   g_len+32(FP), CX
	SHRQ   $2, CX
	JEQ    relu_done
	VXORPD Y1, Y1, Y1

relu_loop:
	VMOVUPD (SI), Y0
	VMAXPD  Y0, Y1, Y0
	VMOVUPD Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     relu_loop

relu_done:
	VZEROUPPER
	RET

// func reluGradAVX(dg, dh, g []float64)
//
// dg[i] = dh[i]·φ′(g[i]) for ReLU, φ′ = 1 above 0, 0 below and 1/2 at 0,
// for i < len(g) rounded down to a multiple of 4.
TEXT ·reluGradAVX(SB), NOSPLIT, $0-72
	MOVQ         dg_base+0(FP), DI
	MOVQ         dh_base+24(FP), DX
	MOVQ         g_base+48(FP), SI
	MOVQ         g_len+56(FP), CX
	SHRQ         $2, CX
	JEQ          grad_done
	VXORPD       Y5, Y5, Y5
	MOVQ         $0x3FE0000000000000, AX
	MOVQ         AX, X6
	VBROADCASTSD X6, Y6
	MOVQ         $0x3FF0000000000000, AX
	MOVQ         AX, X7
	VBROADCASTSD X7, Y7

grad_loop:
	VMOVUPD (SI), Y0
	VCMPPD  $0x1e, Y5, Y0, Y1
	VCMPPD  $0x00, Y5, Y0, Y2
	VANDPD  Y7, Y1, Y1
	VANDPD  Y6, Y2, Y2
	VADDPD  Y2, Y1, Y1
	VMULPD  (DX), Y1, Y1
	VMOVUPD Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNE     grad_loop

grad_done:
	VZEROUPPER
	RET
