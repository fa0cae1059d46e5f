using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Verify.Harness.Hosts;
using Verify.IommuModel.Backends;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.Vfio;

namespace Verify.Harness.Scenarios;

/// <summary>Creates a container not yet attached to any listener: a <see cref="Verify.IommuModel.Type1.Type1Container"/>
/// in the process named by <see cref="Process"/>, or, when <see cref="DmaBackendTraits.UnmapMayBisect"/> is set, the
/// split-capable <see cref="MappingSetBackend"/> (type1 can never cut a mapping, so that backend stays a separate model).</summary>
/// <param name="Name">The container's name.</param>
/// <param name="Backend">What it allows (bisect, unmap-all, entry limit).</param>
public sealed record ContainerStep(string Name, DmaBackendTraits Backend) : ScenarioStep
{
    /// <summary>The process a container belongs to when the step names none.</summary>
    public const string DefaultProcess = "qemu";

    /// <summary>The <c>container</c> step's codec.</summary>
    public static StepCodec Codec { get; } = new StepCodec<ContainerStep>("container",
        ["name", "bisect", "iova-only", "unmap-all", "entry-limit", "process", "version", "accounting", "page-size", "domains", "valid-iova", "wrap-errno"], Read, Write);

    private static readonly string[] Type1OnlyFields = ["process", "version", "accounting", "page-size", "domains", "valid-iova", "wrap-errno"];


    internal override void Run(ScenarioMachine machine)
    {
        var backend = machine.Dma.CreateContainer(new ContainerSpec(Name, Backend, Process, IsType1 ? ToType1Options() : null, [.. DomainOptions()]));
        machine.Log.Say($"created ({(backend.Type1 is { } type1 ? type1.Options.ToString() : "split-capable")}), attached to no listener");
    }

    /// <summary>The process whose memory the container pins and charges (created unlimited on first use).</summary>
    public string Process { get; init; } = DefaultProcess;

    /// <summary>The type1 interface version (v2, what QEMU opens, unless the file says v1).</summary>
    public Type1Version Version { get; init; } = Type1Version.V2;

    /// <summary>How pins are charged to the process's <c>locked_vm</c>.</summary>
    public AccountingMode Accounting { get; init; } = AccountingMode.PerMapping;

    /// <summary>The alignment of every MAP and UNMAP; null for the largest granule of <see cref="Domains"/> (4 KiB
    /// without domains).</summary>
    public ulong? PageSize { get; init; }

    /// <summary>One page-table format per IOMMU domain; none is an mdev-only container, which pins nothing at MAP
    /// time and accepts any IOVA (the kernel's IOVA list is empty).</summary>
    public ImmutableArray<PageTableFormat> Domains { get; init; } = [];

    /// <summary>Each domain's split policy, parallel to <see cref="Domains"/>; empty when every domain splits (the
    /// kernel's behaviour; the other policies are variants of docs/semantics.md 8).</summary>
    public ImmutableArray<SplitPolicy> Splits { get; init; } = [];

    /// <summary>The valid IOVA ranges (apertures minus reserved regions) when the file gives them; empty for the
    /// domains' aperture.</summary>
    public ImmutableArray<AddressRange> ValidIova { get; init; } = [];

    /// <summary>What MAP returns when an address range wraps (EOVERFLOW on newer kernels, EINVAL on older ones).</summary>
    public Errno WrapErrno { get; init; } = Errno.EOVERFLOW;

    /// <summary>The page-table options of each domain.</summary>
    /// <returns>One per domain, in order.</returns>
    public IEnumerable<PageTableOptions> DomainOptions() =>
        Domains.Select((f, i) => PageTableOptions.Default with { Format = f, Split = Splits.IsEmpty ? SplitPolicy.Split : Splits[i] });

    /// <summary>Whether the container is the IOVA-only model of type1's rules (no process, no pins, no domain): what a
    /// generated tree needs whose regions reach 2^64, which no process's memory and no 48-bit domain can hold.</summary>
    public bool IovaOnly { get; init; }

    /// <summary>Whether the step creates a type1 container (everything but <c>bisect: true</c> and <c>iova-only: true</c>).</summary>
    public bool IsType1 => !Backend.UnmapMayBisect && !IovaOnly;

    /// <summary>The type1 variant the step asks for: entry limit from <see cref="Backend"/>, the valid IOVA range
    /// the domains' aperture allows (the whole space without domains).</summary>
    /// <returns>The options.</returns>
    public Type1Options ToType1Options()
    {
        ulong page = PageSize ?? (Domains.IsEmpty ? 0x1000 : Domains.Max(d => d.Granule));
        UInt128 aperture = Domains.IsEmpty ? AddressSpace.End : Domains.Min(d => (UInt128)d.AddressLimit);
        return Type1Options.Default with
        {
            Version = Version,
            Accounting = Accounting,
            DmaEntryLimit = Backend.EntryLimit,
            MinPageSize = page,
            ValidIovaRanges = ValidIova.IsEmpty ? [AddressRange.FromBounds(0, aperture)] : ValidIova,
            WrapErrno = WrapErrno,
        };
    }

    /// <inheritdoc/>
    public bool Equals(ContainerStep? other) =>
        other is not null && Name == other.Name && Backend == other.Backend && Process == other.Process && Version == other.Version
        && Accounting == other.Accounting && PageSize == other.PageSize && Domains.SequenceEqual(other.Domains)
        && Splits.SequenceEqual(other.Splits) && ValidIova.SequenceEqual(other.ValidIova) && WrapErrno == other.WrapErrno && IovaOnly == other.IovaOnly
        && Expect == other.Expect && Note == other.Note;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Backend, Process, Version, Accounting);

    /// <inheritdoc/>
    public override string ToString()
    {
        if (!IsType1)
        {
            return $"container {Name} ({(IovaOnly ? "IOVA-only type1 rules" : "bisect")})";
        }

        string domains = Domains.IsEmpty ? "no domain" : "domains " + string.Join(",", DomainOptions().Select(d => d.Split == SplitPolicy.Split ? d.Format.Name : $"{d.Format.Name} ({d.Split})"));
        string variant = (ValidIova.IsEmpty ? "" : ", valid " + string.Join(",", ValidIova)) + (WrapErrno == Errno.EOVERFLOW ? "" : $", wrap {WrapErrno}");
        return string.Create(CultureInfo.InvariantCulture,
            $"container {Name} type1 {Version.ToString().ToLowerInvariant()} {ScenarioVocabulary.AccountingName(Accounting)} in {Process}, {domains}{variant}");
    }

    private static ContainerStep Read(JsonWalker b)
    {
        var step = new ContainerStep(b.String("name"), ScenarioJson.ReadTraits(b)) { IovaOnly = b.OptionalBool("iova-only") ?? false };
        if (step.IovaOnly && step.Backend.UnmapMayBisect)
        {
            throw new ScenarioFormatException(JsonWalker.Child(b.Path, "iova-only"), "a container is split-capable (bisect: true) or the IOVA-only type1 model, not both");
        }

        if (!step.IsType1)
        {
            // bisect: true is the split-capable model, which has no process, version or domains: say so rather
            // than ignore a field the author thought meant something.
            foreach (string field in Type1OnlyFields)
            {
                if (b.Has(field))
                {
                    throw new ScenarioFormatException(JsonWalker.Child(b.Path, field), $"only a type1 container has '{field}'; this one has {(step.IovaOnly ? "iova-only" : "bisect")}: true");
                }
            }

            return step;
        }

        step = step with
        {
            Process = b.OptionalString("process") ?? ContainerStep.DefaultProcess,
            Version = b.Has("version") ? b.Choice("version", ScenarioVocabulary.Versions) : Type1Version.V2,
            Accounting = b.Has("accounting") ? b.Choice("accounting", ScenarioVocabulary.Accountings) : AccountingMode.PerMapping,
        };
        if (b.Optional("domains") is { } domains)
        {
            string path = JsonWalker.Child(b.Path, "domains");
            if (domains.ValueKind != JsonValueKind.Array)
            {
                throw JsonWalker.Expected(path, "an array of page-table formats", domains);
            }

            int i = 0;
            var formats = ImmutableArray.CreateBuilder<PageTableFormat>();
            var splits = ImmutableArray.CreateBuilder<SplitPolicy>();
            foreach (var element in domains.EnumerateArray())
            {
                string at = string.Create(CultureInfo.InvariantCulture, $"{path}[{i++}]");
                if (element.ValueKind == JsonValueKind.Object)
                {
                    // { "format", "split" }: a domain with another split policy than the kernel's.
                    var d = new JsonWalker(element, at);
                    formats.Add(d.Choice("format", ScenarioVocabulary.Formats));
                    splits.Add(d.Has("split") ? d.Choice("split", ScenarioVocabulary.SplitPolicies) : SplitPolicy.Split);
                    d.Done();
                    continue;
                }

                string name = JsonWalker.AsString(element, at);
                formats.Add(ScenarioVocabulary.Formats.TryGetValue(name, out var format)
                    ? format
                    : throw new ScenarioFormatException(at, $"expected one of {string.Join(", ", ScenarioVocabulary.Formats.Keys.Select(k => $"\"{k}\""))}, got \"{name}\""));
                splits.Add(SplitPolicy.Split);
            }

            step = step with
            {
                Domains = formats.ToImmutable(),
                Splits = splits.All(x => x == SplitPolicy.Split) ? [] : splits.ToImmutable(),
            };
        }

        var valid = ScenarioJson.ReadList(b, "valid-iova", "an array of { start, end }", w => ScenarioJson.ReadRange(w, "start", "end", endIsBound: true));
        for (int k = 1; k < valid.Length; k++)
        {
            if (valid[k].Start < valid[k - 1].End || valid[k].IsEmpty)
            {
                throw new ScenarioFormatException(string.Create(CultureInfo.InvariantCulture, $"{JsonWalker.Child(b.Path, "valid-iova")}[{k}]"),
                    "expected non-empty ranges in ascending order, none overlapping the one before");
            }
        }

        step = step with { ValidIova = valid, WrapErrno = b.Has("wrap-errno") ? b.Choice("wrap-errno", ScenarioVocabulary.Errnos) : Errno.EOVERFLOW };
        if (b.OptionalAddress("page-size") is { } page)
        {
            if (!ulong.IsPow2(page) || page < 0x1000 || step.Domains.Any(d => page % d.Granule != 0))
            {
                throw new ScenarioFormatException(JsonWalker.Child(b.Path, "page-size"),
                    $"expected a power of two of at least 4K that every domain's granule divides, got 0x{page:x}");
            }

            step = step with { PageSize = page };
        }

        return step;
    }

    private static void Write(ContainerStep s, Utf8JsonWriter w)
    {
        w.WriteString("name", s.Name);
        ScenarioJson.WriteTraits(w, s.Backend);
        if (s.IovaOnly) { w.WriteBoolean("iova-only", true); }
        if (!s.IsType1)
        {
            return;
        }

        if (s.Process != ContainerStep.DefaultProcess) { w.WriteString("process", s.Process); }
        if (s.Version != Type1Version.V2) { w.WriteString("version", ScenarioVocabulary.NameOf(ScenarioVocabulary.Versions, s.Version)); }
        if (s.Accounting != AccountingMode.PerMapping) { w.WriteString("accounting", ScenarioVocabulary.AccountingName(s.Accounting)); }
        if (s.PageSize is { } page) { ScenarioJson.Number(w, "page-size", page); }
        if (!s.Domains.IsEmpty && s.Splits.IsEmpty) { ScenarioJson.Strings(w, "domains", s.Domains.Select(d => d.Name)); }
        if (!s.Splits.IsEmpty)
        {
            ScenarioJson.Objects(w, "domains", s.Domains.Zip(s.Splits), d =>
            {
                w.WriteString("format", d.First.Name);
                if (d.Second != SplitPolicy.Split) { w.WriteString("split", ScenarioVocabulary.NameOf(ScenarioVocabulary.SplitPolicies, d.Second)); }
            });
        }

        ScenarioJson.Objects(w, "valid-iova", s.ValidIova, r =>
        {
            ScenarioJson.Number(w, "start", r.Start);
            ScenarioJson.Number(w, "end", r.End);
        });
        if (s.WrapErrno != Errno.EOVERFLOW) { w.WriteString("wrap-errno", s.WrapErrno.ToString()); }
    }
}
