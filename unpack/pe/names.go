package pe

import (
	"debug/pe"
	"fmt"
	"isodiff/unpack/internal/bin"
	"strings"
)

var machines = map[uint16]string{
	pe.IMAGE_FILE_MACHINE_UNKNOWN: "unknown",
	pe.IMAGE_FILE_MACHINE_I386:    "i386",
	pe.IMAGE_FILE_MACHINE_AMD64:   "x86-64",
	pe.IMAGE_FILE_MACHINE_ARM:     "ARM",
	pe.IMAGE_FILE_MACHINE_ARMNT:   "ARM Thumb-2",
	pe.IMAGE_FILE_MACHINE_ARM64:   "ARM64",
	pe.IMAGE_FILE_MACHINE_EBC:     "EFI byte code",
	pe.IMAGE_FILE_MACHINE_IA64:    "IA-64",
	pe.IMAGE_FILE_MACHINE_RISCV32: "RISC-V 32",
	pe.IMAGE_FILE_MACHINE_RISCV64: "RISC-V 64",
	0x6232:                        "LoongArch 32",
	0x6264:                        "LoongArch 64",
}

func machineName(m uint16) string {
	if s, ok := machines[m]; ok {
		return fmt.Sprintf("%s (0x%04x)", s, m)
	}
	return fmt.Sprintf("0x%04x", m)
}

var subsystems = map[uint16]string{
	pe.IMAGE_SUBSYSTEM_NATIVE:                   "native",
	pe.IMAGE_SUBSYSTEM_WINDOWS_GUI:              "Windows GUI",
	pe.IMAGE_SUBSYSTEM_WINDOWS_CUI:              "Windows console",
	pe.IMAGE_SUBSYSTEM_EFI_APPLICATION:          "EFI application",
	pe.IMAGE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER:  "EFI boot service driver",
	pe.IMAGE_SUBSYSTEM_EFI_RUNTIME_DRIVER:       "EFI runtime driver",
	pe.IMAGE_SUBSYSTEM_EFI_ROM:                  "EFI ROM",
	pe.IMAGE_SUBSYSTEM_WINDOWS_BOOT_APPLICATION: "Windows boot application",
}

func subsystemName(s uint16) string {
	if n, ok := subsystems[s]; ok {
		return fmt.Sprintf("%s (%d)", n, s)
	}
	return fmt.Sprintf("%d", s)
}

// debugTypes are the debug directory entry types of the PE format
// specification (debug/pe does not name them).
var debugTypes = map[uint32]string{
	debugCOFF: "COFF", debugCodeView: "CodeView", 3: "FPO", 4: "misc", 5: "exception", 6: "fixup",
	9: "Borland", 11: "CLSID", 12: "VC feature", 13: "POGO", 14: "ILTCG", debugRepro: "REPRO",
	19: "SPGO", 20: "extended DLL characteristics",
}

const (
	debugCOFF     = 1
	debugCodeView = 2
	debugRepro    = 16
)

func debugTypeName(t uint32) string {
	if n, ok := debugTypes[t]; ok {
		return n
	}
	return fmt.Sprintf("type %d", t)
}

var certTypes = map[uint16]string{1: "X.509", 2: "PKCS #7 SignedData", 3: "reserved", 4: "PKCS #1 signature"}

func certTypeName(t uint16) string {
	if n, ok := certTypes[t]; ok {
		return fmt.Sprintf("%s (0x%04x)", n, t)
	}
	return fmt.Sprintf("0x%04x", t)
}

var fileFlags = []bin.Flag[uint32]{
	{Bit: pe.IMAGE_FILE_RELOCS_STRIPPED, Name: "RELOCS_STRIPPED"},
	{Bit: pe.IMAGE_FILE_EXECUTABLE_IMAGE, Name: "EXECUTABLE_IMAGE"},
	{Bit: pe.IMAGE_FILE_LINE_NUMS_STRIPPED, Name: "LINE_NUMS_STRIPPED"},
	{Bit: pe.IMAGE_FILE_LOCAL_SYMS_STRIPPED, Name: "LOCAL_SYMS_STRIPPED"},
	{Bit: pe.IMAGE_FILE_AGGRESIVE_WS_TRIM, Name: "AGGRESSIVE_WS_TRIM"},
	{Bit: pe.IMAGE_FILE_LARGE_ADDRESS_AWARE, Name: "LARGE_ADDRESS_AWARE"},
	{Bit: pe.IMAGE_FILE_BYTES_REVERSED_LO, Name: "BYTES_REVERSED_LO"},
	{Bit: pe.IMAGE_FILE_32BIT_MACHINE, Name: "32BIT_MACHINE"},
	{Bit: pe.IMAGE_FILE_DEBUG_STRIPPED, Name: "DEBUG_STRIPPED"},
	{Bit: pe.IMAGE_FILE_REMOVABLE_RUN_FROM_SWAP, Name: "REMOVABLE_RUN_FROM_SWAP"},
	{Bit: pe.IMAGE_FILE_NET_RUN_FROM_SWAP, Name: "NET_RUN_FROM_SWAP"},
	{Bit: pe.IMAGE_FILE_SYSTEM, Name: "SYSTEM"},
	{Bit: pe.IMAGE_FILE_DLL, Name: "DLL"},
	{Bit: pe.IMAGE_FILE_UP_SYSTEM_ONLY, Name: "UP_SYSTEM_ONLY"},
	{Bit: pe.IMAGE_FILE_BYTES_REVERSED_HI, Name: "BYTES_REVERSED_HI"},
}

var dllFlags = []bin.Flag[uint32]{
	{Bit: pe.IMAGE_DLLCHARACTERISTICS_HIGH_ENTROPY_VA, Name: "HIGH_ENTROPY_VA"},
	{Bit: pe.IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE, Name: "DYNAMIC_BASE"},
	{Bit: pe.IMAGE_DLLCHARACTERISTICS_FORCE_INTEGRITY, Name: "FORCE_INTEGRITY"},
	{Bit: pe.IMAGE_DLLCHARACTERISTICS_NX_COMPAT, Name: "NX_COMPAT"},
	{Bit: pe.IMAGE_DLLCHARACTERISTICS_NO_ISOLATION, Name: "NO_ISOLATION"},
	{Bit: pe.IMAGE_DLLCHARACTERISTICS_NO_SEH, Name: "NO_SEH"},
	{Bit: pe.IMAGE_DLLCHARACTERISTICS_NO_BIND, Name: "NO_BIND"},
	{Bit: pe.IMAGE_DLLCHARACTERISTICS_APPCONTAINER, Name: "APPCONTAINER"},
	{Bit: pe.IMAGE_DLLCHARACTERISTICS_WDM_DRIVER, Name: "WDM_DRIVER"},
	{Bit: pe.IMAGE_DLLCHARACTERISTICS_GUARD_CF, Name: "GUARD_CF"},
	{Bit: pe.IMAGE_DLLCHARACTERISTICS_TERMINAL_SERVER_AWARE, Name: "TERMINAL_SERVER_AWARE"},
}

var sectionFlags = []bin.Flag[uint32]{
	{Bit: pe.IMAGE_SCN_CNT_CODE, Name: "CODE"},
	{Bit: pe.IMAGE_SCN_CNT_INITIALIZED_DATA, Name: "INITIALIZED_DATA"},
	{Bit: pe.IMAGE_SCN_CNT_UNINITIALIZED_DATA, Name: "UNINITIALIZED_DATA"},
	{Bit: pe.IMAGE_SCN_LNK_COMDAT, Name: "COMDAT"},
	{Bit: pe.IMAGE_SCN_MEM_DISCARDABLE, Name: "DISCARDABLE"},
	{Bit: pe.IMAGE_SCN_MEM_EXECUTE, Name: "EXECUTE"},
	{Bit: pe.IMAGE_SCN_MEM_READ, Name: "READ"},
	{Bit: pe.IMAGE_SCN_MEM_WRITE, Name: "WRITE"},
}

// flagString shows a flags word as hex and the names of its bits.
func flagString(v uint32, names []bin.Flag[uint32]) string {
	named, rest := bin.NamedFlags(v, names)
	if rest != 0 {
		named = append(named, fmt.Sprintf("0x%x", rest))
	}
	if len(named) == 0 {
		return fmt.Sprintf("0x%x", v)
	}
	return fmt.Sprintf("0x%x (%s)", v, strings.Join(named, " | "))
}
