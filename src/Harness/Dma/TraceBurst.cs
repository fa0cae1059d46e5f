using Verify.Vfio;

namespace Verify.Harness.Dma;

/// <summary>One burst of a trace log (one memory transaction: its deletes, then its adds) with what QEMU issued and what
/// the coalescing planner would issue for the same region events.</summary>
/// <param name="Number">0-based.</param>
/// <param name="FirstLine">The burst's first event line.</param>
/// <param name="LastLine">Its last call's line.</param>
/// <param name="Ioctls">The ioctls QEMU issued.</param>
/// <param name="CollateralBytes">The bytes QEMU unmapped and mapped back unchanged (its windows).</param>
/// <param name="Planned">The coalescing planner's plan for the same transaction, with its own collateral.</param>
public sealed record TraceBurst(int Number, int FirstLine, int LastLine, int Ioctls, UInt128 CollateralBytes, DmaPlan Planned);
