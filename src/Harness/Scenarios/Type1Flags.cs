using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;

namespace Verify.Harness.Scenarios;

/// <summary>The rights a pin asks for, as MAP_DMA flags.</summary>
internal static class Type1Flags
{
    /// <summary>READ and WRITE as the protection says.</summary>
    /// <param name="prot">The protection.</param>
    /// <returns>The flags.</returns>
    public static Type1MapFlags Of(Protection prot) =>
        ((prot & Protection.Read) != 0 ? Type1MapFlags.Read : Type1MapFlags.None) | ((prot & Protection.Write) != 0 ? Type1MapFlags.Write : Type1MapFlags.None);
}
