using System.Collections.Immutable;
using Verify.MemoryMap.Flat;
using Verify.Vfio;

namespace Verify.Harness.Hosts;

/// <summary>One plugged device as a step found it, so the step's own ioctls and DMA window can be measured.</summary>
/// <param name="Mappings">Its container's live mappings.</param>
/// <param name="Calls">How many ioctls its container had received.</param>
/// <param name="View">The view its address space's listeners had seen.</param>
public sealed record DeviceSnapshot(ImmutableArray<DmaMapping> Mappings, int Calls, FlatView View);
