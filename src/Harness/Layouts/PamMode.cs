namespace Verify.Harness.Layouts;

/// <summary>A PAM segment's setting (i440fx config 0x59-0x5f, q35 MCH 0x90-0x96), as QEMU's <c>init_pam</c>
/// models it with four aliases of which exactly one is enabled.</summary>
public enum PamMode
{
    /// <summary>0: reads and writes go to PCI (the <c>pam-pci</c> alias of the PCI address space).</summary>
    Pci = 0,

    /// <summary>1: read-only RAM (the <c>pam-rom</c> alias of RAM, read-only).</summary>
    ReadOnly = 1,

    /// <summary>2: write-only; QEMU maps it to RAM (an alias of RAM also named <c>pam-pci</c>).</summary>
    WriteOnly = 2,

    /// <summary>3: RAM (the <c>pam-ram</c> alias).</summary>
    ReadWrite = 3,
}
