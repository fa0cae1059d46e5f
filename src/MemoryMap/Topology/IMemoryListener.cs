using Verify.MemoryMap.Flat;

namespace Verify.MemoryMap.Topology;

/// <summary>
/// The callbacks of QEMU's <c>MemoryListener</c> for one address space. <see cref="Begin"/> and
/// <see cref="Commit"/> bracket every transaction; in between come all deletes, then nops (with their log
/// events) and adds, each pass in ascending address order.
/// </summary>
public interface IMemoryListener
{
    /// <summary>Listener priority: deletes go to listeners in descending priority (QEMU's reverse order),
    /// nops and adds in ascending order.</summary>
    int Priority => 0;

    /// <summary>A transaction starts.</summary>
    void Begin();

    /// <summary><c>region_del</c>.</summary>
    /// <param name="range">The old range.</param>
    void RegionDel(in FlatRange range);

    /// <summary><c>region_nop</c>.</summary>
    /// <param name="range">The unchanged range (new view's copy).</param>
    void RegionNop(in FlatRange range);

    /// <summary><c>region_add</c>.</summary>
    /// <param name="range">The new range.</param>
    void RegionAdd(in FlatRange range);

    /// <summary><c>log_start</c>.</summary>
    /// <param name="range">The range.</param>
    /// <param name="oldMask">Mask before.</param>
    /// <param name="newMask">Mask after.</param>
    void LogStart(in FlatRange range, byte oldMask, byte newMask)
    {
    }

    /// <summary><c>log_stop</c>.</summary>
    /// <param name="range">The range.</param>
    /// <param name="oldMask">Mask before.</param>
    /// <param name="newMask">Mask after.</param>
    void LogStop(in FlatRange range, byte oldMask, byte newMask)
    {
    }

    /// <summary>The transaction ends.</summary>
    void Commit();
}
