//go:build amd64 && !purego

#include "textflag.h"

// The ReLU layer kernel in two passes over a run of columns, four columns
// per iteration. One column's computation is a long chain (a square root,
// a division, the polynomial); split in two shorter loops the processor
// overlaps more columns' chains (3.3 → 2.9 ns per column, BenchmarkReluLayer). Every line repeats an operation of
// octant, angleFromOctant, reluMoments and layer.step (the Go comment on
// the right), with the same rounding: branches become blends, and the
// fused multiply-adds are those of the Go code. p points to a layer: qx,
// sw2, sb2, sv2, ntk at offsets 0..32.

// func reluOctantsAVX(t, s, j, sigma, qz []float64, p *layer)
//
// For the first len(t)&^3 columns: s = scaledSin(qx·qz, c) and
// (t, j) = octant(s, c), with c = sigma.
TEXT ·reluOctantsAVX(SB), NOSPLIT, $0-128
	MOVQ t_base+0(FP), DI
	MOVQ t_len+8(FP), CX
	MOVQ s_base+24(FP), R10
	MOVQ j_base+48(FP), R11
	MOVQ sigma_base+72(FP), SI
	MOVQ qz_base+96(FP), R8
	MOVQ p+120(FP), R9
	VBROADCASTSD 0(R9), Y15 // qx
	SHRQ $2, CX
	JEQ  octants_done

octants_loop:
	// reluMoments: qq, scaledSin.
	VMOVUPD      (SI), Y0             // c = sigma[j]
	VMULPD       (R8), Y15, Y1        // qq := q1 * q2
	VMOVAPD      Y1, Y2
	VFNMADD231PD Y0, Y0, Y2           // d := FMA(-c, c, qq)
	VMULPD       eps46<>(SB), Y1, Y3  // 64*0x1p-52*qq
	VCMPPD       $2, Y3, Y2, Y4       // d <= 64ε·qq
	VSQRTPD      Y2, Y2
	VANDNPD      Y2, Y4, Y2           // s := Sqrt(d), or 0
	VMOVUPD      Y2, (R10)

	// octant(s, c): the reduction.
	VANDPD    absmask<>(SB), Y0, Y3 // a := Abs(c)
	VCMPPD    $0x1e, Y3, Y2, Y4     // swap := s > a
	VBLENDVPD Y4, Y3, Y2, Y5        // num
	VBLENDVPD Y4, Y2, Y3, Y6        // den
	VMULPD    tanpi8<>(SB), Y6, Y7  // tanPi8*den
	VCMPPD    $0x1e, Y7, Y5, Y7     // num > tanPi8*den
	VSUBPD    Y6, Y5, Y8            // num-den
	VADDPD    Y6, Y5, Y9            // num+den
	VBLENDVPD Y7, Y8, Y5, Y5
	VBLENDVPD Y7, Y9, Y6, Y6
	VDIVPD    Y6, Y5, Y5            // t

	// octant: j and the sign of t.
	VANDPD    one<>(SB), Y7, Y7  // k: 1 or 0
	VADDPD    two<>(SB), Y7, Y9  // 2 + k
	VMOVUPD   four<>(SB), Y10
	VSUBPD    Y7, Y10, Y10       // 4 - k
	VBLENDVPD Y4, Y9, Y10, Y9    // j when !neg
	VMOVUPD   two<>(SB), Y10
	VSUBPD    Y7, Y10, Y10       // 2 - k
	VBLENDVPD Y4, Y10, Y7, Y10   // j when neg
	VXORPD    Y11, Y11, Y11
	VCMPPD    $1, Y11, Y0, Y11   // neg := c < 0
	VBLENDVPD Y11, Y10, Y9, Y9   // j
	VXORPD    Y4, Y11, Y10       // swap != neg
	VANDNPD   signbit<>(SB), Y10, Y10
	VXORPD    Y10, Y5, Y5        // if swap == neg { t = -t }
	VMOVUPD   Y5, (DI)
	VMOVUPD   Y9, (R11)

	ADDQ $32, DI
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, SI
	ADDQ $32, R8
	DECQ CX
	JNE  octants_loop

octants_done:
	VZEROUPPER
	RET

// func reluFinishAVX(out, s, j, sigma, thetaG, qz []float64, p *layer)
//
// For the first len(out)&^3 columns, with t in out and s, j from
// reluOctantsAVX: ψ = angleFromOctant(t, j), the moments, and the layer
// step, which writes out, sigma and thetaG.
TEXT ·reluFinishAVX(SB), NOSPLIT, $0-152
	MOVQ out_base+0(FP), DI
	MOVQ out_len+8(FP), CX
	MOVQ s_base+24(FP), R10
	MOVQ j_base+48(FP), R11
	MOVQ sigma_base+72(FP), SI
	MOVQ thetaG_base+96(FP), DX
	MOVQ qz_base+120(FP), R8
	MOVQ p+144(FP), R9
	VBROADCASTSD 0(R9), Y15  // qx
	VBROADCASTSD 8(R9), Y14  // σw²
	VBROADCASTSD 16(R9), Y13 // σb²
	VBROADCASTSD 24(R9), Y12 // σv²
	SHRQ $2, CX
	JEQ  finish_done

finish_loop:
	// angleFromOctant: atan t by Estrin's scheme (atanPoly), then ψ.
	VMOVUPD     (DI), Y5                    // t
	VMULPD      Y5, Y5, Y6                  // z := t * t
	VMULPD      Y6, Y6, Y3                  // z2
	VMULPD      Y3, Y3, Y9                  // z4
	VMOVUPD     atancoef<>+32(SB), Y8
	VFMADD213PD atancoef<>+0(SB), Y6, Y8    // FMA(c[1], z, c[0])
	VMOVUPD     atancoef<>+96(SB), Y10
	VFMADD213PD atancoef<>+64(SB), Y6, Y10  // FMA(c[3], z, c[2])
	VFMADD231PD Y10, Y3, Y8                 // b0
	VMOVUPD     atancoef<>+160(SB), Y10
	VFMADD213PD atancoef<>+128(SB), Y6, Y10 // FMA(c[5], z, c[4])
	VMOVUPD     atancoef<>+224(SB), Y11
	VFMADD213PD atancoef<>+192(SB), Y6, Y11 // FMA(c[7], z, c[6])
	VFMADD231PD Y11, Y3, Y10                // b1
	VFMADD231PD Y10, Y9, Y8                 // FMA(b1, z4, b0)
	VMOVUPD     atancoef<>+288(SB), Y10
	VFMADD213PD atancoef<>+256(SB), Y6, Y10 // FMA(c[9], z, c[8])
	VFMADD231PD atancoef<>+320(SB), Y3, Y10 // b2
	VMULPD      Y9, Y9, Y9                  // z8
	VFMADD231PD Y10, Y9, Y8                 // P = FMA(b2, z8, …)
	VMULPD      Y6, Y5, Y6                  // t*z
	VFMADD213PD Y5, Y6, Y8                  // at := FMA(t*z, P, t)
	VMOVUPD     (R11), Y9                   // j
	VFMADD231PD pio4lo<>(SB), Y9, Y8        // FMA(j, pio4Lo, at)
	VFMADD231PD pio4hi<>(SB), Y9, Y8        // ψ := FMA(j, pio4Hi, …)

	// reluMoments: E, Ė; ReLU.Moments: qq == 0.
	VMOVUPD     (SI), Y0                   // c = sigma[j]
	VMOVUPD     (R10), Y3                  // s
	VFMADD231PD Y8, Y0, Y3                 // FMA(psi, c, s)
	VMULPD      inv2pi<>(SB), Y3, Y3       // e
	VMULPD      inv2pi<>(SB), Y8, Y8       // edot := psi * inv2Pi
	VMULPD      (R8), Y15, Y1              // qq := q1 * q2
	VXORPD      Y11, Y11, Y11
	VCMPPD      $0, Y11, Y1, Y11           // qq == 0
	VANDNPD     Y3, Y11, Y3                // e = 0
	VBLENDVPD   Y11, quarter<>(SB), Y8, Y8 // edot = 0.25

	// layer.step.
	VMOVUPD      (DX), Y9      // thetaG[j]
	VBROADCASTSD 32(R9), Y10   // ntk
	VMULPD       Y10, Y8, Y10  // edot*p.ntk
	VMOVAPD      Y3, Y11
	VFMADD231PD  Y10, Y9, Y11  // FMA(edot*p.ntk, thetaG, e)
	VMULPD       Y11, Y12, Y11 // kernel = p.sv2 * …
	VMOVUPD      Y11, (DI)
	VMOVAPD      Y13, Y10
	VFMADD231PD  Y3, Y14, Y10  // sigma = FMA(p.sw2, e, p.sb2)
	VMOVUPD      Y10, (SI)
	VMULPD       Y8, Y14, Y8   // p.sw2*edot
	VFMADD231PD  Y9, Y8, Y10   // FMA(p.sw2*edot, thetaG, sigma)
	VMOVUPD      Y10, (DX)

	ADDQ $32, DI
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, R8
	DECQ CX
	JNE  finish_loop

finish_done:
	VZEROUPPER
	RET

// |x| mask, in four lanes
DATA absmask<>+0(SB)/8, $0x7fffffffffffffff
DATA absmask<>+8(SB)/8, $0x7fffffffffffffff
DATA absmask<>+16(SB)/8, $0x7fffffffffffffff
DATA absmask<>+24(SB)/8, $0x7fffffffffffffff
GLOBL absmask<>(SB), RODATA|NOPTR, $32

// sign bit, in four lanes
DATA signbit<>+0(SB)/8, $0x8000000000000000
DATA signbit<>+8(SB)/8, $0x8000000000000000
DATA signbit<>+16(SB)/8, $0x8000000000000000
DATA signbit<>+24(SB)/8, $0x8000000000000000
GLOBL signbit<>(SB), RODATA|NOPTR, $32

// 64ε = 2⁻⁴⁶ (scaledSin's threshold), in four lanes
DATA eps46<>+0(SB)/8, $0x3d10000000000000
DATA eps46<>+8(SB)/8, $0x3d10000000000000
DATA eps46<>+16(SB)/8, $0x3d10000000000000
DATA eps46<>+24(SB)/8, $0x3d10000000000000
GLOBL eps46<>(SB), RODATA|NOPTR, $32

// tan(π/8), in four lanes
DATA tanpi8<>+0(SB)/8, $0x3fda827999fcef32
DATA tanpi8<>+8(SB)/8, $0x3fda827999fcef32
DATA tanpi8<>+16(SB)/8, $0x3fda827999fcef32
DATA tanpi8<>+24(SB)/8, $0x3fda827999fcef32
GLOBL tanpi8<>(SB), RODATA|NOPTR, $32

// 1, in four lanes
DATA one<>+0(SB)/8, $0x3ff0000000000000
DATA one<>+8(SB)/8, $0x3ff0000000000000
DATA one<>+16(SB)/8, $0x3ff0000000000000
DATA one<>+24(SB)/8, $0x3ff0000000000000
GLOBL one<>(SB), RODATA|NOPTR, $32

// 2, in four lanes
DATA two<>+0(SB)/8, $0x4000000000000000
DATA two<>+8(SB)/8, $0x4000000000000000
DATA two<>+16(SB)/8, $0x4000000000000000
DATA two<>+24(SB)/8, $0x4000000000000000
GLOBL two<>(SB), RODATA|NOPTR, $32

// 4, in four lanes
DATA four<>+0(SB)/8, $0x4010000000000000
DATA four<>+8(SB)/8, $0x4010000000000000
DATA four<>+16(SB)/8, $0x4010000000000000
DATA four<>+24(SB)/8, $0x4010000000000000
GLOBL four<>(SB), RODATA|NOPTR, $32

// 1/4, in four lanes
DATA quarter<>+0(SB)/8, $0x3fd0000000000000
DATA quarter<>+8(SB)/8, $0x3fd0000000000000
DATA quarter<>+16(SB)/8, $0x3fd0000000000000
DATA quarter<>+24(SB)/8, $0x3fd0000000000000
GLOBL quarter<>(SB), RODATA|NOPTR, $32

// pio4Hi, in four lanes
DATA pio4hi<>+0(SB)/8, $0x3fe921fb54442d18
DATA pio4hi<>+8(SB)/8, $0x3fe921fb54442d18
DATA pio4hi<>+16(SB)/8, $0x3fe921fb54442d18
DATA pio4hi<>+24(SB)/8, $0x3fe921fb54442d18
GLOBL pio4hi<>(SB), RODATA|NOPTR, $32

// pio4Lo, in four lanes
DATA pio4lo<>+0(SB)/8, $0x3c81a62633145c07
DATA pio4lo<>+8(SB)/8, $0x3c81a62633145c07
DATA pio4lo<>+16(SB)/8, $0x3c81a62633145c07
DATA pio4lo<>+24(SB)/8, $0x3c81a62633145c07
GLOBL pio4lo<>(SB), RODATA|NOPTR, $32

// 1/(2π), in four lanes
DATA inv2pi<>+0(SB)/8, $0x3fc45f306dc9c883
DATA inv2pi<>+8(SB)/8, $0x3fc45f306dc9c883
DATA inv2pi<>+16(SB)/8, $0x3fc45f306dc9c883
DATA inv2pi<>+24(SB)/8, $0x3fc45f306dc9c883
GLOBL inv2pi<>(SB), RODATA|NOPTR, $32

// atanCoeffs, four lanes each: coefficient i at offset 32·i
DATA atancoef<>+0(SB)/8, $0xbfd555555555553b
DATA atancoef<>+8(SB)/8, $0xbfd555555555553b
DATA atancoef<>+16(SB)/8, $0xbfd555555555553b
DATA atancoef<>+24(SB)/8, $0xbfd555555555553b
DATA atancoef<>+32(SB)/8, $0x3fc9999999995560
DATA atancoef<>+40(SB)/8, $0x3fc9999999995560
DATA atancoef<>+48(SB)/8, $0x3fc9999999995560
DATA atancoef<>+56(SB)/8, $0x3fc9999999995560
DATA atancoef<>+64(SB)/8, $0xbfc249249229cd83
DATA atancoef<>+72(SB)/8, $0xbfc249249229cd83
DATA atancoef<>+80(SB)/8, $0xbfc249249229cd83
DATA atancoef<>+88(SB)/8, $0xbfc249249229cd83
DATA atancoef<>+96(SB)/8, $0x3fbc71c70e043178
DATA atancoef<>+104(SB)/8, $0x3fbc71c70e043178
DATA atancoef<>+112(SB)/8, $0x3fbc71c70e043178
DATA atancoef<>+120(SB)/8, $0x3fbc71c70e043178
DATA atancoef<>+128(SB)/8, $0xbfb745cf84323a88
DATA atancoef<>+136(SB)/8, $0xbfb745cf84323a88
DATA atancoef<>+144(SB)/8, $0xbfb745cf84323a88
DATA atancoef<>+152(SB)/8, $0xbfb745cf84323a88
DATA atancoef<>+160(SB)/8, $0x3fb3b110f2ad8480
DATA atancoef<>+168(SB)/8, $0x3fb3b110f2ad8480
DATA atancoef<>+176(SB)/8, $0x3fb3b110f2ad8480
DATA atancoef<>+184(SB)/8, $0x3fb3b110f2ad8480
DATA atancoef<>+192(SB)/8, $0xbfb10eb4d9a99ee1
DATA atancoef<>+200(SB)/8, $0xbfb10eb4d9a99ee1
DATA atancoef<>+208(SB)/8, $0xbfb10eb4d9a99ee1
DATA atancoef<>+216(SB)/8, $0xbfb10eb4d9a99ee1
DATA atancoef<>+224(SB)/8, $0x3fadf098616bd751
DATA atancoef<>+232(SB)/8, $0x3fadf098616bd751
DATA atancoef<>+240(SB)/8, $0x3fadf098616bd751
DATA atancoef<>+248(SB)/8, $0x3fadf098616bd751
DATA atancoef<>+256(SB)/8, $0xbfa9cb9d751d16eb
DATA atancoef<>+264(SB)/8, $0xbfa9cb9d751d16eb
DATA atancoef<>+272(SB)/8, $0xbfa9cb9d751d16eb
DATA atancoef<>+280(SB)/8, $0xbfa9cb9d751d16eb
DATA atancoef<>+288(SB)/8, $0x3fa3798c1d911db0
DATA atancoef<>+296(SB)/8, $0x3fa3798c1d911db0
DATA atancoef<>+304(SB)/8, $0x3fa3798c1d911db0
DATA atancoef<>+312(SB)/8, $0x3fa3798c1d911db0
DATA atancoef<>+320(SB)/8, $0xbf924e973bf1606d
DATA atancoef<>+328(SB)/8, $0xbf924e973bf1606d
DATA atancoef<>+336(SB)/8, $0xbf924e973bf1606d
DATA atancoef<>+344(SB)/8, $0xbf924e973bf1606d
GLOBL atancoef<>(SB), RODATA|NOPTR, $352
