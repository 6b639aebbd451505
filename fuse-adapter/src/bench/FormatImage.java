import io.daxfs.core.FormatOptions;
import io.daxfs.core.device.DaxDevice;
import io.daxfs.core.device.DeviceOptions;
import io.daxfs.core.fs.DaxFileSystem;
import java.nio.file.Path;

/** Formats a scratch image for the benchmark: FormatImage PATH SIZE (e.g. 2G); until mkfs.daxfs is on main. */
public class FormatImage {
    public static void main(String[] args) throws Exception {
        String size = args[1].toUpperCase();
        long bytes = Long.parseLong(size.replaceAll("[KMG]$", ""))
                << (size.endsWith("G") ? 30 : size.endsWith("M") ? 20 : size.endsWith("K") ? 10 : 0);
        try (DaxDevice device = DaxDevice.open(Path.of(args[0]), DeviceOptions.defaults().withCreateSize(bytes))) {
            DaxFileSystem.format(device, FormatOptions.defaults());
        }
    }
}
