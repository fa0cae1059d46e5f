namespace Verify.MemoryMap.Text;

/// <summary>Where an <c>info mtree -f</c> text begins: QEMU prints every view with its header, but a paste of one
/// view often starts lower down.</summary>
public enum MtreeFlatStart
{
    /// <summary>At a <c>FlatView #N</c> header, as QEMU prints it.</summary>
    Header,

    /// <summary>At the first view's <c> Root memory region:</c> line: its header and <c>AS</c> lines were not pasted.</summary>
    RootLine,

    /// <summary>At the first view's first range: its header, <c>AS</c> lines and root line were not pasted; its root
    /// region reads as <see cref="MtreeFlatDump.UnknownRoot"/>.</summary>
    Ranges,
}
