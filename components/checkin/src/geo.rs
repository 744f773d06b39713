//! Distance between a volunteer's reported position and an activity's place: the haversine
//! great-circle formula on a spherical earth, in whole metres. Pure; no I/O.

/// The mean earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres, rounded to the nearest metre, between two points given in
/// degrees (latitude, longitude).
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> i64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let d_phi = (lat2 - lat1).to_radians();
    let d_lambda = (lon2 - lon1).to_radians();
    let a = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
    // Clamped: rounding can push `a` a hair past 1 for antipodal points.
    let c = 2.0 * a.sqrt().min(1.0).asin();
    (EARTH_RADIUS_M * c).round() as i64
}

/// Integer microdegrees (how the database keeps coordinates) → degrees.
pub fn from_e6(e6: i64) -> f64 {
    e6 as f64 / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_point_is_zero_metres_away() {
        assert_eq!(haversine_m(39.9087, 116.3975, 39.9087, 116.3975), 0);
    }

    #[test]
    fn a_degree_of_latitude_is_about_111_km() {
        assert_eq!(haversine_m(0.0, 0.0, 1.0, 0.0), 111_195);
        // Along a parallel, a degree of longitude shrinks with cos(latitude).
        let at_60 = haversine_m(60.0, 10.0, 60.0, 11.0);
        assert!((55_590..=55_605).contains(&at_60), "{at_60}");
    }

    #[test]
    fn small_offsets_are_metre_accurate() {
        // 0.001° of latitude ≈ 111.2 m anywhere.
        assert_eq!(haversine_m(30.0, 120.0, 30.001, 120.0), 111);
        // Symmetric.
        assert_eq!(haversine_m(30.001, 120.0, 30.0, 120.0), 111);
    }

    #[test]
    fn antipodes_are_half_the_circumference() {
        let d = haversine_m(0.0, 0.0, 0.0, 180.0);
        assert_eq!(d, (EARTH_RADIUS_M * std::f64::consts::PI).round() as i64);
    }

    #[test]
    fn microdegrees_are_degrees() {
        assert_eq!(from_e6(39_908_700), 39.9087);
    }
}
