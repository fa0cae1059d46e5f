namespace Verify.MemoryMap.Topology;

/// <summary>The callbacks of QEMU's <c>MemoryListener</c> that a topology update drives.</summary>
public enum TopologyEventKind : byte
{
    /// <summary><c>region_del</c>: an old range with no equal new range (pass 1).</summary>
    Delete,

    /// <summary><c>region_nop</c>: an old range equal (<c>flatrange_equal</c>) to a new one (pass 2).</summary>
    Nop,

    /// <summary><c>log_start</c>: right after a nop whose dirty mask gained bits.</summary>
    LogStart,

    /// <summary><c>log_stop</c>: right after a nop (and any log_start) whose dirty mask lost bits.</summary>
    LogStop,

    /// <summary><c>region_add</c>: a new range with no equal old range (pass 2).</summary>
    Add,
}
