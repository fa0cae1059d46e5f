using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using Verify.ApiSnapshot;
using Verify.IommuModel.Type1;
using Verify.MemoryMap;
using Verify.MemoryMap.Regions;
using Verify.MemoryMap.Text;
using Verify.Vfio;

namespace Verify.Architecture;

// A record's compiler-written equality compares an immutable collection by reference, so two equal option sets or
// plans built apart compare unequal. Every public record of the libraries that holds a collection must compare it by
// value; this finds them all by reflection, so a new one cannot slip by without a sample here.
public class RecordEqualityTests
{
    // One instance of each such record, with every collection non-empty so a copy with other content must differ.
    private static readonly Dictionary<Type, object> Samples = new()
    {
        [typeof(DmaPlan)] = new DmaPlan([new DmaOperation.Unmap(new AddressRange(0x1000, 0x1000)), new DmaOperation.UnmapAll()], 0x1000, 1, 2, 3, false),
        [typeof(DmaOptions)] = new DmaOptions { ProtectedRegions = ImmutableHashSet.Create(StringComparer.Ordinal, "secret", "tdx") },
        [typeof(Type1Options)] = new Type1Options { ValidIovaRanges = [new AddressRange(0, 0x10000), new AddressRange(0x20000, 0x1000)] },
        [typeof(MemoryRegion)] = MemoryRegion.Container("sysmem", 0x100000) with
        {
            Subregions = [new Subregion("ram", 0, 0, 1), new Subregion("rom", 0xf0000, 1, 2)],
        },
        [typeof(Type1Result)] = Type1Result.Ok(0x2000) with { Pfns = [0x100000000, 0x100001000] },
        [typeof(MtreeTreeHints)] = new MtreeTreeHints
        {
            TerminalIo = ImmutableHashSet.Create(StringComparer.Ordinal, "io"),
            ContainerIo = ImmutableHashSet.Create(StringComparer.Ordinal, "smram"),
            ReadOnlyAliases = ImmutableHashSet.Create(StringComparer.Ordinal, "pam-rom"),
        },
    };

    private static IEnumerable<Type> RecordsHoldingCollections() =>
        PublicApi.Libraries.SelectMany(a => a.GetExportedTypes())
            .Where(t => t.GetMethod("<Clone>$") is not null || (t.IsValueType && t.GetMethod("PrintMembers", BindingFlags.NonPublic | BindingFlags.Instance) is not null))
            .Where(t => CollectionProperties(t).Any());

    private static IEnumerable<PropertyInfo> CollectionProperties(Type t) =>
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(p.PropertyType) && p.SetMethod is not null);

    public static TheoryData<string> Records() => [.. RecordsHoldingCollections().Select(t => t.FullName!)];

    [Fact]
    public void Every_public_record_holding_a_collection_has_a_sample()
    {
        var missing = RecordsHoldingCollections().Where(t => !Samples.ContainsKey(t)).Select(t => t.FullName).ToList();
        Assert.True(missing.Count == 0, "Add a sample (with non-empty collections) for: " + string.Join(", ", missing));
    }

    [Theory]
    [MemberData(nameof(Records))]
    public void A_copy_with_equal_collections_built_apart_is_equal_with_the_same_hash(string record)
    {
        var type = RecordsHoldingCollections().Single(t => t.FullName == record);
        object sample = Samples[type];
        object copy = Clone(sample);
        foreach (var p in CollectionProperties(type))
        {
            object value = p.GetValue(sample)!;
            Assert.NotEmpty((IEnumerable)value);
            p.SetValue(copy, Rebuild(value, keep: true));
            Assert.False(ReferenceEquals(value, p.GetValue(copy)) && !p.PropertyType.IsValueType, $"{p.Name} was not rebuilt");
        }

        Assert.Equal(sample, copy);
        Assert.Equal(sample.GetHashCode(), copy.GetHashCode());
    }

    [Theory]
    [MemberData(nameof(Records))]
    public void A_copy_with_one_collection_changed_is_not_equal(string record)
    {
        var type = RecordsHoldingCollections().Single(t => t.FullName == record);
        object sample = Samples[type];
        foreach (var p in CollectionProperties(type))
        {
            object copy = Clone(sample);
            p.SetValue(copy, Rebuild(p.GetValue(sample)!, keep: false));
            Assert.False(sample.Equals(copy), $"{type.Name} with {p.Name} emptied still equals the original");
        }
    }

    // A new box for a struct (setting a property through reflection writes into the box), the record's own clone else.
    private static object Clone(object value) => value.GetType().IsValueType
        ? typeof(object).GetMethod("MemberwiseClone", BindingFlags.NonPublic | BindingFlags.Instance)!.Invoke(value, null)!
        : value.GetType().GetMethod("<Clone>$")!.Invoke(value, null)!;

    // A new collection of the same type: the same elements (and comparer) when keep, else all but the first.
    private static object Rebuild(object collection, bool keep)
    {
        var items = ((IEnumerable)collection).Cast<object>().Skip(keep ? 0 : 1).ToList();
        var type = collection.GetType();
        var element = type.GetGenericArguments()[0];
        var typed = typeof(Enumerable).GetMethod(nameof(Enumerable.Cast))!.MakeGenericMethod(element).Invoke(null, [items])!;
        if (type.GetGenericTypeDefinition() == typeof(ImmutableArray<>))
        {
            return typeof(ImmutableArray).GetMethods().Single(m => m.Name == nameof(ImmutableArray.CreateRange) && m.GetParameters().Length == 1)
                .MakeGenericMethod(element).Invoke(null, [typed])!;
        }

        if (type.GetGenericTypeDefinition() == typeof(ImmutableHashSet<>))
        {
            object comparer = type.GetProperty("KeyComparer")!.GetValue(collection)!;
            return typeof(ImmutableHashSet).GetMethods()
                .Single(m => m.Name == nameof(ImmutableHashSet.CreateRange) && m.GetParameters().Length == 2)
                .MakeGenericMethod(element).Invoke(null, [comparer, typed])!;
        }

        throw new NotSupportedException($"Teach Rebuild about {type}");
    }
}
