using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Verify.Harness.Hosts;
using Verify.Vfio;

namespace Verify.Harness.Scenarios;

/// <summary>Which DMA listener a <see cref="ListenerStep"/> registers.</summary>
public enum ListenerKind
{
    /// <summary>QEMU's vfio listener today: one UNMAP per deleted section, one MAP per added one.</summary>
    Naive,

    /// <summary>The coalescing listener: compares DMA maps and plans per container history.</summary>
    Coalescing,
}

/// <summary>Registers a DMA listener on the address space. What a container allows (bisect, unmap-all, entry limit)
/// is the container's own (<see cref="ContainerStep"/>): the coalescing listener plans with each container's traits.</summary>
/// <param name="Name">The listener's name.</param>
/// <param name="Listener">Which listener.</param>
/// <param name="Options">Host page size and IOMMU page size of its section rules.</param>
public sealed record ListenerStep(string Name, ListenerKind Listener, DmaOptions Options) : ScenarioStep
{
    /// <summary>Granularities a coalescing listener accepts, as written in JSON.</summary>
    public static ImmutableArray<string> Granularities { get; } = ["per-range", "region-boundaries", "fixed-granule"];

    /// <summary>Coalescing only: where mappings are cut (one of <see cref="Granularities"/>).</summary>
    public string Granularity { get; init; } = "per-range";

    /// <summary>Coalescing only, with <c>fixed-granule</c>: the cut size.</summary>
    public ulong Granule { get; init; } = 0x20_0000;

    /// <summary>The <c>listener</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<ListenerStep>("listener", ["name", "kind", "host-page", "iommu-page", "granularity", "granule"], Read, Write);


    internal override void Run(ScenarioMachine machine)
    {
        machine.Dma.RegisterListener(Name, Listener == ListenerKind.Coalescing, Options, new PlanOptions { Granularity = GranularityValue, Granule = Granule });
        machine.Log.Say(string.Create(CultureInfo.InvariantCulture, $"registered; it has seen the current view of {machine.MemoryMap.View.Count} range(s)"));
    }

    /// <summary>The coalescing listener's granularity as the planner takes it.</summary>
    public MappingGranularity GranularityValue => Granularity switch
    {
        "region-boundaries" => MappingGranularity.RegionBoundaries,
        "fixed-granule" => MappingGranularity.FixedGranule,
        _ => MappingGranularity.PerRange,
    };

    private static ListenerStep Read(JsonWalker b)
    {
        string name = b.String("name");
        var kind = b.Choice("kind", ScenarioVocabulary.ListenerKinds);
        var options = ScenarioJson.ReadDmaOptions(b);
        var step = new ListenerStep(name, kind, options);
        if (kind == ListenerKind.Coalescing)
        {
            string granularity = b.OptionalString("granularity") ?? "per-range";
            if (!Granularities.Contains(granularity))
            {
                throw new ScenarioFormatException(JsonWalker.Child(b.Path, "granularity"),
                    $"expected one of {string.Join(", ", Granularities)}, got \"{granularity}\"");
            }

            ulong granule = b.OptionalAddress("granule") ?? 0x20_0000;
            if (!ulong.IsPow2(granule) || granule < 0x1000)
            {
                throw new ScenarioFormatException(JsonWalker.Child(b.Path, "granule"), $"expected a power of two of at least 4K, got 0x{granule:x}");
            }

            step = step with { Granularity = granularity, Granule = granule };
        }

        return step;
    }

    private static void Write(ListenerStep s, Utf8JsonWriter w)
    {
        w.WriteString("name", s.Name);
        w.WriteString("kind", s.Listener == ListenerKind.Naive ? "naive" : "coalescing");
        if (s.Options.HostPageSize != 0x1000) { ScenarioJson.Number(w, "host-page", s.Options.HostPageSize); }
        if (s.Options.IommuMinPageSize != 0x1000) { ScenarioJson.Number(w, "iommu-page", s.Options.IommuMinPageSize); }
        if (s.Listener == ListenerKind.Coalescing)
        {
            w.WriteString("granularity", s.Granularity);
            if (s.Granularity == "fixed-granule") { ScenarioJson.Number(w, "granule", s.Granule); }
        }
    }

    /// <summary>Compares the options by value (their protected-region set is compared as a set, not by reference).</summary>
    /// <param name="other">Another step.</param>
    /// <returns>Whether both register the same listener.</returns>
    public bool Equals(ListenerStep? other) =>
        other is not null && Name == other.Name && Listener == other.Listener && Granularity == other.Granularity && (Granularity != "fixed-granule" || Granule == other.Granule)
        && Options.HostPageSize == other.Options.HostPageSize && Options.IommuMinPageSize == other.Options.IommuMinPageSize
        && Options.ProtectedRegions.SetEquals(other.Options.ProtectedRegions) && Expect == other.Expect && Note == other.Note;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Listener, Granularity, Options.HostPageSize);

    /// <inheritdoc/>
    public override string ToString() => Listener == ListenerKind.Naive
        ? $"listener {Name} naive"
        : string.Create(CultureInfo.InvariantCulture, $"listener {Name} coalescing {Granularity}{(Granularity == "fixed-granule" ? $" granule=0x{Granule:x}" : "")}");
}
