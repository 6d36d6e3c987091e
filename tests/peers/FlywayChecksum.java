// Independent peer for the Flyway checksum (tests/integration/db.rs): prints, for each file
// given, the checksum Flyway stores in flyway_schema_history.checksum, computed the way Flyway's
// ChecksumCalculator does it with the JVM's own classes: BufferedReader.readLine over a UTF-8
// reader (so \n, \r\n and \r end lines and are dropped), a byte-order mark removed from the first
// line, java.util.zip.CRC32 over each line's UTF-8 bytes, cast to int.
// Run: java tests/peers/FlywayChecksum.java FILE...   (JDK 11+ single-file launch)
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;

public class FlywayChecksum {
    public static void main(String[] args) throws Exception {
        for (String arg : args) {
            CRC32 crc = new CRC32();
            try (BufferedReader in = Files.newBufferedReader(Path.of(arg), StandardCharsets.UTF_8)) {
                String line = in.readLine();
                if (line != null && !line.isEmpty() && line.charAt(0) == '\ufeff') {
                    line = line.substring(1);
                }
                while (line != null) {
                    crc.update(line.getBytes(StandardCharsets.UTF_8));
                    line = in.readLine();
                }
            }
            System.out.println((int) crc.getValue());
        }
    }
}
